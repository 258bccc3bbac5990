/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM's interrupt wiring (vm_irq.h, docs/interrupts.md): the device
 * models of vlapic/vioapic/vpic/vpit/vrtc only keep register state; this
 * file puts them on the VM's buses, routes what they send and advances
 * their clocks.
 */
#include "vm_irq.h"
#include "err.h"
#include "cpuid.h"
#include "intr.h"
#include "lib.h"
#include "mmio.h"
#include "pio.h"
#include "platform.h"
#include "request.h"
#include "vm.h"
#include "vm_mgr.h"

#define PAGE_MASK 0xfffull
#define DWORD 4u
#define NO_PIN (-1)

/* Both the PIT and the RTC convert exactly between VPIT_HZ and 2^42 Hz. */
static bool tsc_hz_usable(uint64_t hz)
{
	return hz >= VPIT_HZ && hz >= VRTC_TSC_HZ_MIN && hz <= VPIT_TSC_HZ_MAX;
}

/*
 * The TSC frequency the VM's CPUID tells the guest, 0 if none: leaf 0x15
 * (crystal ECX Hz times EBX / EAX) or else leaf 0x16 EAX (base MHz), SDM
 * Vol. 2A CPUID, 18.7.3. The PIT, RTC and APIC timer count against the same
 * figure, so that what the guest is told and what it measures agree.
 */
static uint64_t cpuid_tsc_hz(const struct vm *vm)
{
	const struct cpuid_entry *l15 = cpuid_find(&vm->cpuid, 0x15, 0);
	if (l15 && l15->regs[0] && l15->regs[1] && l15->regs[2])
		return (uint64_t)l15->regs[2] * l15->regs[1] / l15->regs[0];
	const struct cpuid_entry *l16 = cpuid_find(&vm->cpuid, 0x16, 0);
	if (l16 && (l16->regs[0] & 0xffffu))
		return (uint64_t)(l16->regs[0] & 0xffffu) * 1000000u;
	return 0;
}

uint64_t vm_irq_tsc_hz(const struct vm *vm)
{
	uint64_t hz = vm->hv ? vm->hv->tsc_hz : 0;
	if (tsc_hz_usable(hz))
		return hz;
	hz = cpuid_tsc_hz(vm);
	return tsc_hz_usable(hz) ? hz : TERN_DEFAULT_TSC_HZ;
}

uint64_t vcpu_guest_tsc(const struct vcpu *vcpu)
{
	return plat_host_tsc() + vcpu->msr.tsc_offset;
}

/* The VM's devices count on vCPU 0's clock (one guest TSC per VM in practice). */
static uint64_t vm_now(const struct vm *vm)
{
	return vcpu_guest_tsc(&vm->vcpus[0]);
}

/* ---- delivery ---------------------------------------------------------------- */

/*
 * What the target does with an accepted message. The sender itself acts at
 * once, in its own context (vlapic_accept wrote its IRR, ESR...).
 */
__attribute__((noinline)) static void deliver_own(struct vcpu *t, const struct vlapic_msg *msg)
{
	switch (vlapic_accept(&t->lapic, msg)) {
	case VLAPIC_EV_IRR:
		intr_wake(t);
		break;
	case VLAPIC_EV_NMI:
		vcpu_queue_nmi(t);
		break;
	case VLAPIC_EV_INIT:
		/*
		 * Its own INIT (an ICR write to itself, an IOAPIC pin or MSI in
		 * INIT mode its own access triggered) is taken at the next instruction boundary, as the
		 * CPU does (SDM Vol. 3A 6.9): after the instruction sending it
		 * retires, not under it, where the retire would write the old
		 * RIP into the reset state. The request does it before entry.
		 */
		vcpu_make_request(t, VCPU_REQ_INIT);
		break;
	case VLAPIC_EV_SIPI:
		vm_mgr_vcpu_sipi(t, msg->vector);
		break;
	default: /* none, or an ExtINT message: the PIC reaches the CPU through LINT0 only */
		break;
	}
}

/* Another vCPU's NMI, INIT, SIPI: the request bit that carries it (vcpu_handle_requests). */
__attribute__((noinline)) static void deliver_remote_event(struct vcpu *t, const struct vlapic_msg *msg)
{
	switch (vlapic_accept_remote(&t->lapic, msg)) {
	case VLAPIC_EV_NMI:
		vcpu_make_request(t, VCPU_REQ_NMI);
		break;
	case VLAPIC_EV_INIT:
		vcpu_make_request(t, VCPU_REQ_INIT);
		break;
	case VLAPIC_EV_SIPI:
		atomic_store32(&t->sipi_vector, msg->vector);
		vcpu_make_request(t, VCPU_REQ_SIPI);
		break;
	default: /* none, or ExtINT (as above) */
		break;
	}
}

/*
 * Accept at one target and act on it: the delivery of a message to each of
 * its targets. Another vCPU's fixed or lowest-priority interrupt (the usual
 * IPI) is vlapic_accept_remote's two atomics and a tail call to
 * vcpu_make_request: no call in between, so no frame.
 */
__attribute__((noinline)) static void deliver_to(struct vcpu *t, struct vcpu *self, const struct vlapic_msg *msg)
{
	if (t == self)
		deliver_own(t, msg);
	else if (msg->delivery != VLAPIC_DM_FIXED && msg->delivery != VLAPIC_DM_LOWEST)
		deliver_remote_event(t, msg);
	else {
		enum vlapic_event ev = vlapic_accept_remote(&t->lapic, msg);
		if (ev == VLAPIC_EV_IRR)
			vcpu_make_request(t, VCPU_REQ_EVENT); /* its pre-entry wakes it and injects */
		else if (ev == VLAPIC_EV_ERROR) /* its ESR and error LVT are its own to write */
			vcpu_make_request(t, VCPU_REQ_APIC_ERROR | VCPU_REQ_EVENT);
	}
}

/* Everything but the unicast to the ID that is its index: vlapic_route_scan, deliver_to each. */
__attribute__((noinline)) static void deliver_scan(struct vm *vm, struct vcpu *self, const struct vlapic_msg *msg,
						   unsigned n)
{
	for (uint64_t set = vlapic_route_scan(vm->lapics, n, msg); set; set &= set - 1u)
		deliver_to(&vm->vcpus[__builtin_ctzll(set)], self, msg); /* TZCNT, no library call */
}

/*
 * Route (vlapic_route: its unicast inline, else the scan), then deliver_to
 * every target: the one delivery of every message. Always inline into its
 * two entry points, so that an IPI makes no second call to it. Both ways
 * end in a tail call: a unicast pays for no loop and no saved registers.
 */
__attribute__((always_inline)) static inline void deliver(struct vm *vm, struct vcpu *self,
							  const struct vlapic_msg *msg)
{
	/*
	 * Only this VM's vCPUs are candidates: nothing crosses to another VM.
	 * No clamp: vm_create refuses a count above TERN_MAX_VCPUS (vm.c), and
	 * config is fixed for the VM's life.
	 */
	_Static_assert(TERN_MAX_VCPUS <= 64, "vlapic_route: n <= 64");
	unsigned n = vm->config.vcpu_count;
	unsigned t;
	if (!vlapic_route_unicast(vm->lapics, n, msg, &t))
		deliver_scan(vm, self, msg, n);
	else if (t < n)
		deliver_to(&vm->vcpus[t], self, msg);
}

void vm_irq_deliver(struct vm *vm, struct vcpu *self, const struct vlapic_msg *msg)
{
	deliver(vm, self, msg);
}

void vm_irq_send(struct vcpu *vcpu, const struct vlapic_msg *msg)
{
	deliver(vcpu->vm, vcpu, msg);
}

static void deliver_out(struct vm *vm, struct vcpu *self, const struct vioapic_out *out)
{
	for (unsigned i = 0; i < out->count && i < VIOAPIC_PINS; i++)
		vm_irq_deliver(vm, self, &out->msg[i]);
}

/* Its output on the stack stays out of vm_irq_deliver's frame (and so of every IPI's). */
void vm_irq_eoi_broadcast(struct vcpu *vcpu, int vector)
{
	struct vm *vm = vcpu->vm;
	struct vioapic_out out;
	tern_lock(&vm->irq_lock);
	vioapic_eoi(&vm->ioapic, (uint8_t)vector, &out);
	tern_unlock(&vm->irq_lock);
	deliver_out(vm, vcpu, &out);
}

/* The PIC's INTR rose: vCPU 0 (LINT0 / INTR) looks at it before it next enters. */
static void pic_raised(struct vm *vm, struct vcpu *self)
{
	struct vcpu *bsp = &vm->vcpus[0];
	if (bsp == self)
		intr_wake(bsp);
	else
		vcpu_make_request(bsp, VCPU_REQ_EVENT);
}

/* Drive PIC IRQ `irq` (none: < 0) and IOAPIC pin `pin` (none: < 0) to `high`. */
static void drive(struct vm *vm, struct vcpu *self, int irq, int pin, bool high)
{
	struct vioapic_out out = { 0 };
	tern_lock(&vm->irq_lock);
	bool before = vpic_output(&vm->pic);
	if (irq >= 0)
		(void)vpic_set_irq(&vm->pic, (unsigned)irq, high);
	if (pin >= 0)
		(void)vioapic_set_line(&vm->ioapic, (unsigned)pin, high, &out);
	bool after = vpic_output(&vm->pic);
	tern_unlock(&vm->irq_lock);
	deliver_out(vm, self, &out);
	if (after && !before)
		pic_raised(vm, self);
}

int vm_irq_isa(struct vm *vm, struct vcpu *self, unsigned irq, bool high)
{
	/* IRQ 2 is the cascade: a device "on IRQ 2" is wired to IRQ 9 on the PC. */
	if (irq >= VPIC_IRQS || irq == VPIC_CASCADE_IRQ)
		return -TERN_EINVAL;
	drive(vm, self, (int)irq, irq == VM_IRQ_PIT_ISA ? (int)VM_IRQ_PIT_PIN : (int)irq, high);
	return 0;
}

static void isa_pulse(struct vm *vm, struct vcpu *self, unsigned irq)
{
	(void)vm_irq_isa(vm, self, irq, true);
	(void)vm_irq_isa(vm, self, irq, false);
}

int vm_irq_set_gsi(struct vm *vm, struct vcpu *self, uint32_t gsi, uint32_t op)
{
	if (gsi >= VIOAPIC_PINS || op > VM_IRQ_LINE_FALLING_PULSE)
		return -TERN_EINVAL;
	/* ACRN's mapping: the GSI is the IOAPIC pin and, below 16, the PIC IRQ too. */
	int irq = gsi < VPIC_IRQS && gsi != VPIC_CASCADE_IRQ ? (int)gsi : NO_PIN;
	switch (op) {
	case VM_IRQ_LINE_HIGH:
		drive(vm, self, irq, (int)gsi, true);
		break;
	case VM_IRQ_LINE_LOW:
		drive(vm, self, irq, (int)gsi, false);
		break;
	case VM_IRQ_LINE_RAISING_PULSE:
		drive(vm, self, irq, (int)gsi, true);
		drive(vm, self, irq, (int)gsi, false);
		break;
	default: /* falling pulse */
		drive(vm, self, irq, (int)gsi, false);
		drive(vm, self, irq, (int)gsi, true);
		break;
	}
	return 0;
}

int vm_irq_msi(struct vm *vm, struct vcpu *self, uint64_t addr, uint64_t data)
{
	/* SDM 10.11.1: an MSI address is 0xFEExxxxx; anything else is not an interrupt. */
	if ((addr & VM_IRQ_MSI_ADDR_MASK) != VM_IRQ_MSI_ADDR_BASE)
		return -TERN_EINVAL;
	bool level = data & VM_IRQ_MSI_DATA_LEVEL;
	struct vlapic_msg msg = {
		.vector = (uint8_t)data,
		.delivery = (uint8_t)((data >> VLAPIC_DM_SHIFT) & 7u),
		.logical = (addr & VM_IRQ_MSI_DM_LOGICAL) != 0,
		.level = level,
		/* An edge message always asserts (10.11.2: the level bit is ignored then). */
		.assert = !level || (data & VM_IRQ_MSI_DATA_ASSERT),
		.dest = (uint32_t)(addr >> VM_IRQ_MSI_DEST_SHIFT) & 0xffu,
		.src = (uint8_t)(self ? self->id : 0),
	};
	/*
	 * A level de-assert message raises nothing at any APIC: it only ends
	 * a level the sender asserted before (an INIT level de-assert only
	 * synchronises arbitration IDs, 10.6.1), so it is not delivered.
	 */
	if (!msg.assert)
		return 0;
	vm_irq_deliver(vm, self, &msg);
	return 0;
}

/* ---- 32-bit register windows (APIC page, IOAPIC) ------------------------------ */

typedef void (*dword_read_fn)(void *ctx, uint32_t off, uint32_t *value);

/*
 * Any read: the bytes of the aligned dwords that hold them. Registers of
 * both are 32-bit (SDM 10.4.1; 82093AA 3.0); only an aligned 32-bit write
 * is one (the caller ignores others).
 */
static void dword_read(uint32_t off, uint8_t *buf, unsigned len, dword_read_fn rd, void *ctx)
{
	uint32_t have = UINT32_MAX, v = 0;
	for (unsigned i = 0; i < len; i++) {
		uint32_t o = (off + i) & ~(DWORD - 1u);
		if (o != have) {
			rd(ctx, o, &v);
			have = o;
		}
		buf[i] = (uint8_t)(v >> (8u * ((off + i) & (DWORD - 1u))));
	}
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* ---- the xAPIC page ------------------------------------------------------------ */

bool vm_irq_apic_page(const struct vcpu *vcpu, uint64_t gpa)
{
	const struct vlapic *l = &vcpu->lapic;
	return vlapic_hw_enabled(l) && !vlapic_x2apic(l) &&
	       (gpa & ~PAGE_MASK) == (l->apic_base & ~PAGE_MASK);
}

static uint64_t apic_now(const struct vcpu *vcpu, uint32_t off)
{
	/* The clock is read only for the timer's registers (vlapic_reads_clock). */
	return vlapic_reads_clock(off) ? vcpu_guest_tsc(vcpu) : 0;
}

static void apic_read(void *ctx, uint32_t off, uint32_t *value)
{
	struct vcpu *vcpu = ctx;
	(void)vlapic_mmio_read(&vcpu->lapic, off, apic_now(vcpu, off), value);
}

int vm_irq_apic_access(struct vcpu *vcpu, uint64_t gpa, uint8_t *buf, unsigned len, bool write)
{
	uint32_t off = (uint32_t)(gpa & PAGE_MASK);
	if (!write) {
		dword_read(off, buf, len, apic_read, vcpu);
		return 0;
	}
	if (len != DWORD || (off & (DWORD - 1u)))
		return 0; /* not a register write (SDM 10.4.1): ignored */
	struct vlapic_result res;
	(void)vlapic_mmio_write(&vcpu->lapic, off, le32(buf), apic_now(vcpu, off), &res);
	vm_irq_apply(vcpu, &res);
	return 0;
}

/* ---- the IOAPIC window ----------------------------------------------------------- */

static void ioapic_read(void *ctx, uint32_t off, uint32_t *value)
{
	vioapic_mmio_read(ctx, off, value);
}

static int ioapic_mmio_read(struct vm *vm, void *opaque, uint64_t offset, unsigned size,
			    uint64_t *value)
{
	uint8_t b[8] = { 0 };
	(void)opaque;
	tern_lock(&vm->irq_lock);
	dword_read((uint32_t)offset, b, size, ioapic_read, &vm->ioapic);
	tern_unlock(&vm->irq_lock);
	uint64_t v = 0;
	for (unsigned i = size; i > 0; i--)
		v = (v << 8) | b[i - 1];
	*value = v;
	return 0;
}

static int ioapic_mmio_write(struct vm *vm, void *opaque, uint64_t offset, unsigned size,
			     uint64_t value)
{
	(void)opaque;
	if (size != DWORD || (offset & (DWORD - 1u)))
		return 0; /* not a register write: ignored */
	struct vioapic_out out = { 0 };
	tern_lock(&vm->irq_lock);
	vioapic_mmio_write(&vm->ioapic, (uint32_t)offset, (uint32_t)value, &out);
	tern_unlock(&vm->irq_lock);
	/* The writer's own vCPU is not known here: its delivery goes by request too. */
	deliver_out(vm, (struct vcpu *)0, &out);
	return 0;
}

static const struct mmio_dev_ops ioapic_ops = { ioapic_mmio_read, ioapic_mmio_write };

/* ---- the legacy ports -------------------------------------------------------------- */

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* @pre irq_lock held: the PIT/RTC deadline every entry of vCPU 0 reads without the lock. */
static uint64_t refresh_dev_deadline(struct vm *vm)
{
	uint64_t d = min64(vpit_next_deadline(&vm->pit), vrtc_next_deadline(&vm->rtc));
	__atomic_store_n(&vm->dev_deadline, d, __ATOMIC_RELAXED);
	return d;
}

/* The VM's PIT/RTC deadlines moved: vCPU 0, which arms them, recomputes before it enters. */
static void timers_moved(struct vm *vm, uint64_t before, uint64_t after)
{
	if (before != after)
		vcpu_make_request(&vm->vcpus[0], VCPU_REQ_TIMER);
}

static void pic_port(struct vm *vm, void *opaque, uint16_t port, unsigned size, bool write,
		     uint32_t *value)
{
	(void)opaque;
	uint32_t v = write ? *value : 0;
	if (!write)
		*value = 0;
	tern_lock(&vm->irq_lock);
	bool before = vpic_output(&vm->pic);
	/* Byte registers: a wider access is one per byte, as the ISA bus splits it. */
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		if (write)
			(void)vpic_io_write(&vm->pic, (uint16_t)(port + i), b);
		else if (vpic_io_read(&vm->pic, (uint16_t)(port + i), &b) == 0)
			*value |= (uint32_t)b << (8 * i);
	}
	bool after = vpic_output(&vm->pic);
	tern_unlock(&vm->irq_lock);
	if (!write)
		return;
	if (after && !before)
		pic_raised(vm, (struct vcpu *)0);
}

/* The PIT and the RTC: byte registers that count on the VM's clock. */
enum timed_dev { TIMED_PIT, TIMED_RTC };

static int timed_io(struct vm *vm, enum timed_dev d, uint16_t port, bool write, uint8_t *b,
		    uint64_t now)
{
	if (d == TIMED_PIT)
		return write ? vpit_io_write(&vm->pit, port, *b, now) : vpit_io_read(&vm->pit, port, now, b);
	return write ? vrtc_io_write(&vm->rtc, port, *b, now) : vrtc_io_read(&vm->rtc, port, now, b);
}

static void timed_port(struct vm *vm, enum timed_dev d, uint16_t port, unsigned size, bool write,
		       uint32_t *value)
{
	uint64_t now = vm_now(vm);
	uint32_t v = write ? *value : 0;
	if (!write)
		*value = 0;
	tern_lock(&vm->irq_lock);
	uint64_t before = vm->dev_deadline;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		if (timed_io(vm, d, (uint16_t)(port + i), write, &b, now) == 0 && !write)
			*value |= (uint32_t)b << (8 * i);
	}
	uint64_t after = refresh_dev_deadline(vm);
	tern_unlock(&vm->irq_lock);
	timers_moved(vm, before, after);
}

static void pit_port(struct vm *vm, void *opaque, uint16_t port, unsigned size, bool write,
		     uint32_t *value)
{
	(void)opaque;
	timed_port(vm, TIMED_PIT, port, size, write, value);
}

static void rtc_port(struct vm *vm, void *opaque, uint16_t port, unsigned size, bool write,
		     uint32_t *value)
{
	(void)opaque;
	timed_port(vm, TIMED_RTC, port, size, write, value);
}

void vm_irq_reset(struct vm *vm)
{
	uint64_t hz = vm_irq_tsc_hz(vm);
	vioapic_init(&vm->ioapic, vm->config.vcpu_count & 0xfu); /* the IDs after the vCPUs' */
	vpic_init(&vm->pic);
	(void)vpit_init(&vm->pit, hz);
	/*
	 * Core has no wall clock on the platform seam: the RTC shows
	 * 2000-01-01 00:00:00 at guest TSC 0 (the guest sets the date).
	 */
	(void)vrtc_init(&vm->rtc, hz, 0, 0);
	(void)refresh_dev_deadline(vm);
}

int vm_irq_create(struct vm *vm)
{
	static const struct { uint16_t base, count; pio_handler fn; const char *name; } ports[] = {
		{ VPIC_MASTER_CMD, 2, pic_port, "pic-master" },
		{ VPIC_SLAVE_CMD, 2, pic_port, "pic-slave" },
		{ VPIC_ELCR_MASTER, 2, pic_port, "elcr" },
		{ VPIT_CH0, 4, pit_port, "pit" },
		{ VPIT_PORT_B, 1, pit_port, "port-b" },
		{ VRTC_INDEX, 2, rtc_port, "rtc" },
	};
	int ret;
	for (unsigned i = 0; i < TERN_MAX_VCPUS; i++)
		vm->lapics[i] = &vm->vcpus[i].lapic;
	vm_irq_reset(vm);
	for (unsigned i = 0; i < TERN_ARRAY_SIZE(ports); i++)
		if ((ret = pio_register(&vm->pio, ports[i].base, ports[i].count, ports[i].fn, 0,
					ports[i].name)))
			return ret;
	return mmio_register(vm, VIOAPIC_BASE_DEFAULT, PAGE_MASK + 1, &ioapic_ops, 0, "ioapic");
}

/* ---- time --------------------------------------------------------------------------- */

/* The VM's PIT and RTC deadline (vCPU 0 arms it): one load, no lock. */
static uint64_t vm_deadline(const struct vm *vm)
{
	return __atomic_load_n(&vm->dev_deadline, __ATOMIC_RELAXED);
}

/* An armed timer (out of line: the common entry has none): read the clock, raise what expired. */
__attribute__((noinline)) static uint64_t timers_expire(struct vcpu *vcpu, uint64_t d)
{
	struct vm *vm = vcpu->vm;
	bool bsp = vcpu->id == 0;
	uint64_t now = vcpu_guest_tsc(vcpu);
	if (now < d)
		return d;
	(void)vlapic_timer_advance(&vcpu->lapic, now);
	if (bsp) {
		tern_lock(&vm->irq_lock);
		bool pit = vpit_advance(&vm->pit, now);
		bool rtc = vrtc_advance(&vm->rtc, now);
		(void)refresh_dev_deadline(vm);
		tern_unlock(&vm->irq_lock);
		/* OUT of channel 0 rose: an IRQ 0 edge; IRQF rose: IRQ 8. */
		if (pit)
			isa_pulse(vm, vcpu, VM_IRQ_PIT_ISA);
		if (rtc)
			isa_pulse(vm, vcpu, VM_IRQ_RTC_ISA);
	}
	return min64(vlapic_next_deadline(&vcpu->lapic), bsp ? vm_deadline(vm) : UINT64_MAX);
}

void vcpu_timers_advance(struct vcpu *vcpu)
{
	uint64_t d = vlapic_next_deadline(&vcpu->lapic);
	if (vcpu->id == 0)
		d = min64(d, vm_deadline(vcpu->vm));
	/* Nothing armed: no clock read (traces of timer-less guests need no host TSC). */
	vcpu->timer_deadline = d == UINT64_MAX ? d : timers_expire(vcpu, d);
}
