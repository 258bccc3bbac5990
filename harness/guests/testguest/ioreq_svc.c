/* SPDX-License-Identifier: BSD-3-Clause */
#include "ioreq_svc.h"
#include "guest.h"
#include "tg_hcall.h"

#define GATE_INTR 0x8E          /* present, DPL0, 64-bit interrupt gate (SDM Vol. 3A 6.14.1) */
#define PCI_MAX_BUS 255u
#define PCI_MAX_DEV 31u
#define PCI_MAX_FUNC 7u
#define PCI_CFG_SPACE 256u

/* One request as read from a slot, once: nothing is read from the page twice. */
struct slot_req {
	uint32_t type, polling, dir, kernel_handled;
	uint64_t addr, size, value;
	uint32_t bus, dev, func, reg;
};

static struct iosvc *upcall_target;
void tg_upcall_entry(void);   /* upcall.S */
void tg_upcall_isr(void);

static uint32_t ld32(volatile uint8_t *slot, uint32_t off)
{
	return *(volatile uint32_t *)(slot + off);
}

static uint64_t ld64(volatile uint8_t *slot, uint32_t off)
{
	return *(volatile uint64_t *)(slot + off);
}

void iosvc_init(struct iosvc *s, void *page, uint16_t vmid, bool polling)
{
	memset(s, 0, sizeof(*s));
	s->page = (volatile uint8_t *)page;
	s->vmid = vmid;
	s->polling = polling;
	s->finish_hypercall = !polling;
	iodev_reset(&s->dev);
}

uint32_t iosvc_served_total(const struct iosvc_stats *st)
{
	return st->served[IOREQ_PORTIO] + st->served[IOREQ_MMIO] + st->served[IOREQ_PCICFG];
}

static void read_slot(volatile uint8_t *slot, struct slot_req *r)
{
	r->type = ld32(slot, IOREQ_TYPE);
	r->polling = ld32(slot, IOREQ_POLLING);
	r->dir = ld32(slot, IOREQ_DIRECTION);
	r->kernel_handled = ld32(slot, IOREQ_KERNEL_HANDLED);
	r->addr = ld64(slot, IOREQ_ADDRESS);
	r->size = ld64(slot, IOREQ_SIZE);
	/* acrn_pio_request / acrn_pci_request carry a 32-bit value, acrn_mmio_request 64. */
	r->value = r->type == IOREQ_MMIO ? ld64(slot, IOREQ_VALUE) : ld32(slot, IOREQ_VALUE);
	r->bus = ld32(slot, IOREQ_PCI_BUS);
	r->dev = ld32(slot, IOREQ_PCI_DEV);
	r->func = ld32(slot, IOREQ_PCI_FUNC);
	r->reg = ld32(slot, IOREQ_PCI_REG);
}

static bool size_ok(uint64_t size, bool allow8)
{
	return size == 1 || size == 2 || size == 4 || (allow8 && size == 8);
}

/* Everything the page said, checked before any of it is used. */
static bool valid(const struct iosvc *s, const struct slot_req *r)
{
	if (r->polling != (s->polling ? 1u : 0u) || r->kernel_handled != 0 ||
	    (r->dir != IOREQ_READ && r->dir != IOREQ_WRITE))
		return false;
	switch (r->type) {
	case IOREQ_PORTIO:
		return size_ok(r->size, false) && r->addr <= 0xffffu && r->addr + r->size <= 0x10000u;
	case IOREQ_MMIO:
		return size_ok(r->size, true) && r->addr + r->size > r->addr;
	case IOREQ_PCICFG:
		/* CONFIG_DATA is one dword: the access stays inside the register's. */
		return size_ok(r->size, false) && r->bus <= PCI_MAX_BUS && r->dev <= PCI_MAX_DEV &&
		       r->func <= PCI_MAX_FUNC && r->reg < PCI_CFG_SPACE &&
		       (r->reg & 3u) + r->size <= 4u;
	default:
		return false;
	}
}

static bool emulate(struct iosvc *s, const struct slot_req *r, uint64_t *v)
{
	bool w = r->dir == IOREQ_WRITE;
	uint32_t size = (uint32_t)r->size;
	switch (r->type) {
	case IOREQ_PORTIO:
		return iodev_port(&s->dev, r->addr, size, w, v);
	case IOREQ_MMIO:
		return iodev_mmio(&s->dev, r->addr, size, w, v);
	default:
		return iodev_pci(&s->dev, r->bus, r->dev, r->func, r->reg, size, w, v);
	}
}

static int64_t notify(const struct iosvc *s, uint16_t id)
{
	return tg_hcall(HC_NOTIFY_REQUEST_FINISH, s->vmid, id);
}

/* Serve slot `id` if it is PENDING: true when it was completed. */
static bool serve_slot(struct iosvc *s, uint16_t id)
{
	volatile uint8_t *slot = s->page + (uint32_t)id * IOREQ_SLOT_SIZE;
	uint32_t *state = (uint32_t *)(uintptr_t)(slot + IOREQ_STATE);
	struct slot_req r;

	/* Acquire: the request is read after the state that publishes it. */
	if (__atomic_load_n(state, __ATOMIC_ACQUIRE) != IOREQ_PENDING)
		return false;
	__atomic_store_n(state, IOREQ_PROCESSING, __ATOMIC_RELAXED);
	read_slot(slot, &r);

	uint64_t v = r.value;
	bool ok = valid(s, &r);
	if (!ok) {
		s->st.rejected++;
		v = ~0ull;
	} else {
		if (!emulate(s, &r, &v)) {
			s->st.unclaimed++;
			v = ~0ull;   /* nothing decodes it: reads float high, writes are dropped */
		}
		s->st.served[r.type]++;
	}
	bool probe = s->probe.armed && s->finish_hypercall;
	if (probe) {
		s->probe.armed = false;
		s->probe.early_rc = notify(s, id);   /* still PROCESSING */
	}
	if (r.dir != IOREQ_WRITE || !ok) {
		if (r.type == IOREQ_MMIO)
			*(volatile uint64_t *)(slot + IOREQ_VALUE) = v;
		else
			*(volatile uint32_t *)(slot + IOREQ_VALUE) = (uint32_t)v;
	}
	/*
	 * Release: the value is visible before COMPLETE (x86 keeps stores in
	 * order, SDM Vol. 3A 9.2.2; this keeps the compiler from moving it).
	 */
	if (probe) {
		volatile uint64_t *size = (volatile uint64_t *)(slot + IOREQ_SIZE);
		*size = r.size + 1;
		__atomic_store_n(state, IOREQ_COMPLETE, __ATOMIC_RELEASE);
		s->probe.bad_size_rc = notify(s, id);
		*size = r.size;
	}
	__atomic_store_n(state, IOREQ_COMPLETE, __ATOMIC_RELEASE);
	if (s->finish_hypercall && notify(s, id) != 0)
		s->st.notify_failed++;
	if (probe) {
		s->probe.twice_rc = notify(s, id);
		s->probe.done = true;
	}
	return true;
}

unsigned iosvc_serve(struct iosvc *s)
{
	unsigned n = 0;
	for (uint16_t id = 0; id < IOREQ_SLOTS; id++)
		n += serve_slot(s, id) ? 1u : 0u;
	return n;
}

/* The upcall (upcall.S saves the registers): serve what is pending. */
void tg_upcall_isr(void)
{
	struct iosvc *s = upcall_target;
	if (!s)
		return;
	s->st.upcalls++;
	s->st.upcall_served += iosvc_serve(s);
	/*
	 * The upcall is a fixed interrupt Tern's vLAPIC delivered: end it at
	 * the LAPIC (SDM Vol. 3A 10.8.5), or its ISR bit keeps every vector of
	 * its class and below from being delivered again.
	 */
	tg_lapic_eoi();
}

void iosvc_set_upcall_target(struct iosvc *s)
{
	upcall_target = s;
}

void iosvc_install_upcall(uint8_t vector)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	volatile uint32_t *g = (volatile uint32_t *)(idtr.base + 16u * vector);
	uint64_t h = (uint64_t)(uintptr_t)tg_upcall_entry;
	/* SDM Vol. 3A Figure 6-8: offset 15:0, selector, type; offset 31:16; 63:32. */
	g[0] = (uint32_t)TG_KCODE << 16 | (uint32_t)(h & 0xffffu);
	g[1] = (uint32_t)(h & 0xffff0000u) | (uint32_t)GATE_INTR << 8;
	g[2] = (uint32_t)(h >> 32);
	g[3] = 0;
}
