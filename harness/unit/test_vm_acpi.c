/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VM's ACPI tables read as a guest OS reads them (ACPI 6.5 5.2): the RSDP
 * found by its signature on a 16-byte boundary, both its checksums, the
 * RSDT and XSDT leading to one MADT with a valid checksum, and the MADT's
 * entries agreeing with what the VM's devices answer: each vCPU's vLAPIC ID
 * register, the vIOAPIC's ID register, the LAPIC and IOAPIC addresses the
 * MMIO path traps. The reader here walks the tables by their lengths and
 * types, independently of how vm_acpi.c lays them out.
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "sim.h"
#include "vioapic.h"
#include "vlapic.h"
#include "vm.h"
#include "vm_acpi.h"

#define RAM (4u << 20)

static struct tern hv;
static uint8_t area[VM_ACPI_SIZE + 64];

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static unsigned sum(const uint8_t *p, uint32_t n)
{
	unsigned s = 0;
	for (uint32_t i = 0; i < n; i++)
		s += p[i];
	return s & 0xff;
}

/* The table at guest-physical `gpa` of an area built at `base`, its
 * signature and checksum checked. */
static const uint8_t *table(uint64_t base, uint64_t gpa, const char *sig)
{
	ck_assert_uint_ge(gpa, base);
	ck_assert_uint_lt(gpa - base + 36, VM_ACPI_SIZE);
	const uint8_t *t = area + (gpa - base);
	uint32_t len = rd32(t + 4);
	ck_assert_uint_le(gpa - base + len, VM_ACPI_SIZE);
	ck_assert_int_eq(memcmp(t, sig, 4), 0);
	ck_assert_uint_eq(sum(t, len), 0);
	ck_assert_int_eq(memcmp(t + 10, "TERN  ", 6), 0);
	return t;
}

static struct vm *make_vm(uint16_t vcpus)
{
	sim_reset();
	tern_init(&hv);
	struct vm *vm = sim_create_vm(&hv, "acpi", vcpus, true, RAM);
	ck_assert_ptr_nonnull(vm);
	return vm;
}

/* The MADT as a guest finds it from the RSDP at the area's start. */
static const uint8_t *find_madt(uint64_t base)
{
	const uint8_t *rsdp = area;
	ck_assert_int_eq(memcmp(rsdp, "RSD PTR ", 8), 0);
	ck_assert_uint_eq(sum(rsdp, 20), 0);
	ck_assert_uint_eq(rsdp[15], 2);
	ck_assert_uint_eq(rd32(rsdp + 20), 36);
	ck_assert_uint_eq(sum(rsdp, 36), 0);
	const uint8_t *rsdt = table(base, rd32(rsdp + 16), "RSDT");
	const uint8_t *xsdt = table(base, rd64(rsdp + 24), "XSDT");
	ck_assert_uint_eq(rd32(rsdt + 4), 36 + 4);  /* one entry */
	ck_assert_uint_eq(rd32(xsdt + 4), 36 + 8);
	ck_assert_uint_eq(rd32(rsdt + 36), rd64(xsdt + 36));
	return table(base, rd32(rsdt + 36), "APIC");
}

static void check_madt(struct vm *vm, uint64_t base)
{
	const uint8_t *m = find_madt(base);
	ck_assert_uint_eq(rd32(m + 36), VLAPIC_BASE_ADDR_DEFAULT);
	ck_assert_uint_eq(rd32(m + 40), 1);           /* PCAT_COMPAT */
	uint32_t len = rd32(m + 4);
	unsigned cpus = 0, ioapics = 0, isos = 0, nmis = 0;
	for (uint32_t off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;
		ck_assert_uint_ge(e[1], 2);
		ck_assert_uint_le(off + e[1], len);
		switch (e[0]) {
		case 0: { /* Processor Local APIC: the ID the vCPU's own register reports */
			ck_assert_uint_eq(e[1], 8);
			ck_assert_uint_lt(cpus, vm->config.vcpu_count);
			ck_assert_uint_eq(e[2], cpus);
			uint32_t id = 0;
			ck_assert_int_eq(vlapic_mmio_read(&vm->vcpus[cpus].lapic, VLAPIC_ID, 0, &id), 0);
			ck_assert_uint_eq(e[3], id >> 24);
			ck_assert_uint_eq(rd32(e + 4), 1); /* enabled */
			cpus++;
			break;
		}
		case 1: { /* I/O APIC */
			ck_assert_uint_eq(e[1], 12);
			uint32_t id = 0;
			struct vioapic_out out;
			memset(&out, 0, sizeof(out));
			vioapic_mmio_write(&vm->ioapic, VIOAPIC_IOREGSEL, VIOAPIC_REG_ID, &out);
			vioapic_mmio_read(&vm->ioapic, VIOAPIC_IOWIN, &id);
			ck_assert_uint_eq(e[2], (id >> 24) & 0xf);
			ck_assert_uint_eq(rd32(e + 4), VIOAPIC_BASE_DEFAULT);
			ck_assert_uint_eq(rd32(e + 8), 0);
			ioapics++;
			break;
		}
		case 2: /* ISA IRQ0 -> GSI 2, flags "conforms to the bus" */
			ck_assert_uint_eq(e[1], 10);
			ck_assert_uint_eq(e[2], 0);
			ck_assert_uint_eq(e[3], 0);
			ck_assert_uint_eq(rd32(e + 4), 2);
			ck_assert_uint_eq(e[8] | e[9] << 8, 0);
			isos++;
			break;
		case 4: /* LINT1 is NMI, active high, edge, on all processors */
			ck_assert_uint_eq(e[1], 6);
			ck_assert_uint_eq(e[2], 0xff);
			ck_assert_uint_eq(e[3] | e[4] << 8, 0x5);
			ck_assert_uint_eq(e[5], 1);
			nmis++;
			break;
		default:
			ck_abort_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	ck_assert_uint_eq(cpus, vm->config.vcpu_count);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(isos, 1);
	ck_assert_uint_eq(nmis, 1);
}

START_TEST(test_tables_per_vcpu_count)
{
	uint16_t n = (uint16_t)(_i + 1);
	struct vm *vm = make_vm(n);
	memset(area, 0xa5, sizeof(area));
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE, VM_ACPI_GPA), 0);
	check_madt(vm, VM_ACPI_GPA);
	/* Nothing is written past the area; its unused bytes are zero. */
	ck_assert_uint_eq(area[VM_ACPI_SIZE], 0xa5);
	ck_assert_uint_eq(area[VM_ACPI_SIZE - 1], 0);
	/* The IOAPIC's ID differs from every processor's. */
	for (uint16_t i = 0; i < n; i++)
		ck_assert_uint_ne(vm->vcpus[i].lapic.apic_id, vioapic_id(&vm->ioapic));
}
END_TEST

/* The pointers are GPAs of the place given, not offsets. */
START_TEST(test_other_base)
{
	struct vm *vm = make_vm(3);
	ck_assert_int_eq(vm_acpi_build(vm, area, sizeof(area), 0xf0010), 0);
	ck_assert_uint_eq(rd32(area + 16), 0xf0010 + VM_ACPI_OFF_RSDT);
	check_madt(vm, 0xf0010);
}
END_TEST

START_TEST(test_bad_area)
{
	struct vm *vm = make_vm(2);
	memset(area, 0xa5, sizeof(area));
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE - 1, VM_ACPI_GPA), -TERN_EINVAL);
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE, VM_ACPI_GPA + 8), -TERN_EINVAL);
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE, 0xfffff010ull), -TERN_EINVAL);
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE, 1ull << 32), -TERN_EINVAL);
	ck_assert_uint_eq(area[0], 0xa5); /* nothing written */
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE, 0xfffff000ull), 0);
	vm->config.vcpu_count = 0;
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE, VM_ACPI_GPA), -TERN_EINVAL);
	vm->config.vcpu_count = TERN_MAX_VCPUS + 1;
	ck_assert_int_eq(vm_acpi_build(vm, area, VM_ACPI_SIZE, VM_ACPI_GPA), -TERN_EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vm_acpi");
	TCase *tc = tcase_create("vm_acpi");
	tcase_add_loop_test(tc, test_tables_per_vcpu_count, 0, TERN_MAX_VCPUS);
	tcase_add_test(tc, test_other_base);
	tcase_add_test(tc, test_bad_area);
	suite_add_tcase(s, tc);
	return s;
}
