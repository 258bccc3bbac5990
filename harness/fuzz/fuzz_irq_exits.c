/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the interrupt controllers through the exits a guest
 * takes (core/vm_irq.c): loads and stores of any size at any offset of the
 * xAPIC page and the IOAPIC window (EPT violation, emulated), RDMSR/WRMSR
 * of the x2APIC range, IA32_APIC_BASE and IA32_TSC_DEADLINE, CR8, IN/OUT
 * on the PIC, PIT and RTC ports, the Service VM's HC_INJECT_MSI and
 * HC_SET_IRQLINE with any parameters, HLT, and time moving on between
 * entries; with APIC virtualization (the simulator's CPU has it): APIC-write
 * exits at any offset with any value the CPU stored in the virtual-APIC
 * page, APIC-access exits with any qualification, the guest's TPR shadow
 * written as MOV CR8 does and TPR-below-threshold exits. Two 4-vCPU User VMs with the same APIC IDs: only the first is
 * driven. After every step:
 *   - the second VM's vLAPICs, requests and devices are byte for byte as
 *     they were (nothing the first VM does is delivered to another VM;
 *     only the Service VM's hypercalls naming it may change it);
 *   - no vector below 16 is in any IRR or ISR, a pending vector is above
 *     the PPR;
 *   - an injected external interrupt has a vector of 16 or more;
 *   - after an entry decision timer_deadline is UINT64_MAX or in the future,
 *     and the pCPU's deadline (all eight vCPUs share pCPU 0,
 *     core/sched_slice.h) is no later than the entered vCPU's and any
 *     halted vCPU's timer, with a slice exactly when another is eligible;
 *   - after a preemption-timer exit every halted vCPU whose deadline has
 *     passed has its timer requested;
 *   - the TPR threshold is not above VTPR[7:4] (SDM 26.2.1.1);
 *   - in xAPIC mode every register the CPU reads from the virtual-APIC page
 *     holds what the vLAPIC's own read returns (SDM 29.4.2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cpuid.h"
#include "exit_dispatch.h"
#include "hypercall.h"
#include "intr.h"
#include "mmio.h"
#include "msr.h"
#include "request.h"
#include "sched_slice.h"
#include "scheduler.h"
#include "sim.h"
#include "fuzz_input.h"
#include "vm.h"
#include "vm_irq.h"

#define RAM 0x10000u
#define CODE 0x8000u


static struct tern hv;
static struct vm *vm, *other, *sos;
static struct vm other_snap;

/* A value: often a register-shaped one, sometimes anything. */
static uint64_t value(struct input *in)
{
	uint8_t k = byte(in);
	switch (k & 3) {
	case 0: return byte(in) | (uint64_t)byte(in) << 8;
	case 1: return 0x1ffu;
	case 2: return (uint64_t)byte(in) << 24 | byte(in);
	default: return u64(in);
	}
}

static void guest(struct vcpu *c)
{
	sim_vcpu_flat_state(c, false, 0);
	vcpu_cache_fill(c, VCPU_CR0, 0x11);
	vcpu_cache_fill(c, VCPU_RFLAGS, 0x202);
	vcpu_cache_fill(c, VCPU_RIP, CODE);
}

static void check_lapic(const struct vlapic *l)
{
	if ((vlapic_vec_word(l, VLAPIC_IRR0, 0) & 0xffffu) || (vlapic_vec_word(l, VLAPIC_ISR0, 0) & 0xffffu))
		abort(); /* SDM 10.5.2: vectors 0-15 are never accepted */
	int v = vlapic_pending_vector(l);
	if (v >= 0 && ((unsigned)v >> 4) <= (vlapic_ppr(l) >> 4))
		abort();
	if (!vlapic_hw_enabled(l) || vlapic_x2apic(l))
		return;
	for (uint32_t off = 0; off < 0x400; off += 16) {
		uint32_t r;
		if (vlapic_virtualized_read(off, 4) &&
		    (vlapic_mmio_read((struct vlapic *)l, off, 0, &r) || r != vlapic_reg_get(l, off)))
			abort(); /* a read the CPU answers from the page would differ */
	}
}

/* The CPU virtualized a guest store at a page offset: it is in the page, then the exit. */
static void apic_write(struct input *in, struct vcpu *c)
{
	uint32_t off = (uint32_t)value(in) & 0xfffu;
	uint32_t v = (uint32_t)value(in);
	if (c->intr.apic_access && vlapic_apic_write_offset(off))
		*vlapic_reg(&c->lapic, off & ~0xfu) = v;
	struct exit_record ex = { .reason = EXIT_REASON_APIC_WRITE, .qualification = off };
	(void)vcpu_handle_exit(c, &ex);
}

static void apic_access(struct input *in, struct vcpu *c)
{
	static const uint8_t load[] = { 0x8b, 0x03 }, store[] = { 0x89, 0x03 };
	bool write = byte(in) & 1;
	uint64_t q = value(in) & 0x1ffffu;
	memcpy(sim_vm_ram(vm->id) + CODE, write ? store : load, 2);
	vcpu_cache_fill(c, VCPU_RBX, 0xfee00000u | (q & 0xfffu));
	vcpu_cache_fill(c, VCPU_RAX, value(in));
	struct exit_record ex = { .reason = EXIT_REASON_APIC_ACCESS, .qualification = q, .instr_len = 2 };
	(void)vcpu_handle_exit(c, &ex);
}

/* MOV CR8 under the TPR shadow: VTPR[7:4] = the source, no exit unless below the threshold. */
static void tpr_shadow(struct input *in, struct vcpu *c)
{
	uint32_t cr8 = byte(in) & 0xfu;
	*vlapic_reg(&c->lapic, VLAPIC_TPR) = cr8 << 4;
	if (cr8 < c->intr.tpr_threshold) {
		struct exit_record ex = { .reason = EXIT_REASON_TPR_BELOW_THRESHOLD };
		(void)vcpu_handle_exit(c, &ex);
	}
}

static void mmio(struct input *in, struct vcpu *c, uint64_t base)
{
	static const uint8_t load[] = { 0x8b, 0x03 }, store[] = { 0x89, 0x03 },
			     load8[] = { 0x8a, 0x03 }, store8[] = { 0x88, 0x03 },
			     load16[] = { 0x66, 0x8b, 0x03 }, store16[] = { 0x66, 0x89, 0x03 };
	static const uint8_t *const code[] = { load, store, load8, store8, load16, store16 };
	static const unsigned len[] = { 2, 2, 2, 2, 3, 3 };
	unsigned k = byte(in) % 6;
	uint64_t gpa = base + (value(in) & 0xfffu);
	memcpy(sim_vm_ram(vm->id) + CODE, code[k], len[k]);
	vcpu_cache_fill(c, VCPU_RBX, gpa);
	vcpu_cache_fill(c, VCPU_RAX, value(in));
	struct exit_record ex = { .reason = EXIT_REASON_EPT_VIOLATION, .guest_physical = gpa,
				  .qualification = ((k & 1) ? EPT_QUAL_WRITE : EPT_QUAL_READ) |
						   EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED };
	(void)vcpu_handle_exit(c, &ex);
}

static void msr(struct input *in, struct vcpu *c, bool write)
{
	static const uint32_t msrs[] = { 0x1b, 0x6e0, 0x802, 0x803, 0x808, 0x80a, 0x80b, 0x80d,
					 0x80f, 0x828, 0x830, 0x831, 0x832, 0x838, 0x839, 0x83e,
					 0x83f, 0x82f };
	uint8_t k = byte(in);
	uint32_t m = (k & 0x80) ? 0x800u + byte(in) : msrs[k % (sizeof(msrs) / 4)];
	uint64_t v = value(in);
	vcpu_cache_fill(c, VCPU_RCX, m);
	vcpu_cache_fill(c, VCPU_RAX, v & 0xffffffffu);
	vcpu_cache_fill(c, VCPU_RDX, v >> 32);
	struct exit_record ex = { .reason = write ? EXIT_REASON_WRMSR : EXIT_REASON_RDMSR,
				  .instr_len = 2 };
	(void)vcpu_handle_exit(c, &ex);
}

static void port(struct input *in, struct vcpu *c)
{
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42,
					  0x43, 0x61, 0x70, 0x71 };
	uint16_t p = ports[byte(in) % (sizeof(ports) / 2)];
	uint8_t k = byte(in);
	unsigned size = (k & 3) == 3 ? 4 : (k & 3) + 1u;
	bool is_in = k & 4;
	vcpu_cache_fill(c, VCPU_RAX, value(in));
	uint64_t q = (uint64_t)p << 16 | (is_in ? 8u : 0u) | (size - 1u);
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION, .qualification = q,
				  .instr_len = 1 };
	(void)vcpu_handle_exit(c, &ex);
}

static void hypercall(struct input *in)
{
	struct vcpu *s0 = &sos->vcpus[0];
	uint8_t k = byte(in);
	uint64_t target = (k & 0x80) ? byte(in) : vm->id;
	uint8_t *ram = sim_vm_ram(sos->id);
	uint64_t addr = (k & 0x40) ? value(in) : 0xfee00000u | (uint64_t)byte(in) << 12 | (byte(in) & 4u);
	uint64_t data = value(in);
	memcpy(ram + 0x2000, &addr, 8);
	memcpy(ram + 0x2008, &data, 8);
	if (k & 1)
		(void)hypercall_dispatch(s0, HC_INJECT_MSI, target, (k & 0x20) ? value(in) : 0x2000);
	else
		(void)hypercall_dispatch(s0, HC_SET_IRQLINE, target, value(in));
	/* The Service VM may interrupt any User VM: the second one's new state is the reference. */
	if (target == other->id)
		memcpy(&other_snap, other, sizeof(*other));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "uos", 4, false, RAM);
	other = sim_create_vm(&hv, "other", 4, false, RAM);
	sos = sim_create_vm(&hv, "sos", 1, true, RAM);
	if (!vm || !other || !sos)
		abort();
	/* The policy shows x2APIC for some inputs: both modes get driven. */
	if (byte(&in) & 1)
		((struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0))->regs[2] |= CPUID_1_ECX_X2APIC;
	vm->state = other->state = VM_STATE_RUNNING;
	for (unsigned i = 0; i < 4; i++) {
		vm->vcpus[i].state = other->vcpus[i].state = VCPU_STATE_RUNNABLE;
		struct vlapic_result res;
		vlapic_mmio_write(&other->vcpus[i].lapic, VLAPIC_SVR, 0x1ff, 0, &res);
	}
	sim.host_tsc = 1000;
	memcpy(&other_snap, other, sizeof(*other));

	for (unsigned steps = 0; in.left && steps < 256; steps++) {
		uint8_t op = byte(&in);
		struct vcpu *c = &vm->vcpus[(op >> 4) & 3];
		bool exit_op = ((op & 0xf) <= 8 && (op & 0xf) != 6) || ((op & 0xf) >= 10 && (op & 0xf) <= 12);
		if (exit_op && c->state != VCPU_STATE_RUNNABLE)
			continue; /* only a vCPU that runs takes exits (halted, waiting for SIPI: not) */
		if (exit_op)
			guest(c);
		switch (op & 0xf) {
		case 0: case 1: mmio(&in, c, 0xfee00000u); break;
		case 2: mmio(&in, c, 0xfec00000u); break;
		case 3: case 4: msr(&in, c, op & 1); break;
		case 5: port(&in, c); break;
		case 6: hypercall(&in); break;
		case 7: {
			struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
			(void)vcpu_handle_exit(c, &ex);
			break;
		}
		case 8: {
			/* MOV CR8, RAX (any value: bits 63:4 #GP). */
			vcpu_cache_fill(c, VCPU_RAX, value(&in));
			struct exit_record ex = { .reason = EXIT_REASON_CR_ACCESS, .qualification = 8,
						  .instr_len = 4 };
			(void)vcpu_handle_exit(c, &ex);
			break;
		}
		case 9: sim.host_tsc += value(&in) & 0xffffffffu; break;
		case 10: apic_write(&in, c); break;
		case 11: apic_access(&in, c); break;
		case 12: tpr_shadow(&in, c); break;
		case 13: { /* the preemption timer (not an exit_op: it begins itself) */
			if (c->state != VCPU_STATE_RUNNABLE)
				break;
			sim_vcpu_begin(c);
			struct exit_record ex = { .reason = EXIT_REASON_PREEMPTION_TIMER };
			(void)vcpu_handle_exit(c, &ex);
			for (unsigned i = 0; i < 4; i++) {
				const struct vcpu *t = &vm->vcpus[i];
				if (t != c && t->state == VCPU_STATE_HALTED && t->timer_deadline != UINT64_MAX &&
				    t->timer_deadline - t->msr.tsc_offset <= sim.host_tsc &&
				    !(t->requests & VCPU_REQ_TIMER))
					abort(); /* a passed deadline on the busy pCPU not requested */
			}
			break;
		}
		default: {
			/* The entry decision of every vCPU, as the platform's run loop. */
			for (unsigned i = 0; i < 4; i++) {
				struct vcpu *t = &vm->vcpus[i];
				sim_vcpu_begin(t);
				vcpu_pre_entry(t);
				if (t->event.valid && t->event.type == INTR_TYPE_EXT_INT && t->event.vector < 16)
					abort();
				if (t->timer_deadline != UINT64_MAX && t->timer_deadline <= vcpu_guest_tsc(t))
					abort(); /* brought up to date: the next expiry is ahead */
				const struct sched_cpu *pc = &hv.cpus[t->pcpu];
				for (unsigned j = 0; j < 4 && vcpu_can_enter(t); j++) {
					const struct vcpu *u = &vm->vcpus[j];
					bool counts = u == t || u->state == VCPU_STATE_HALTED;
					if (counts && u->timer_deadline != UINT64_MAX &&
					    pc->deadline > u->timer_deadline - u->msr.tsc_offset)
						abort(); /* the pCPU's timer would fire after a vCPU's */
				}
				if (vcpu_can_enter(t) && (pc->slice != 0) != sched_other_eligible(t))
					abort(); /* a slice exactly when the pCPU has another to run */
				if (t->intr.tpr_threshold > (vlapic_reg_get(&t->lapic, VLAPIC_TPR) >> 4))
					abort(); /* VM entry would fail */
				memset(&t->event, 0, sizeof(t->event));
				t->reg_dirty = 0;
			}
			break;
		}
		}
		for (unsigned i = 0; i < 4; i++)
			check_lapic(&vm->vcpus[i].lapic);
		if (memcmp(&other_snap, other, sizeof(*other)))
			abort(); /* an interrupt or a request reached another VM */
		if (vm_is_stopped(vm))
			break;
	}
	return 0;
}
