/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include "dm.h"
#include "ioreq_client.h"
#include "mmio.h"
#include "pio.h"

static uint32_t load_state(volatile struct acrn_io_request *s)
{
	/* Acquire: the fields are read after the state that published them. */
	return __atomic_load_n(&s->processed, __ATOMIC_ACQUIRE);
}

/* The Service VM's side of a PENDING slot (the HSM's in ACRN): take it. */
static bool claim(volatile struct acrn_io_request *s)
{
	uint32_t expect = ACRN_IOREQ_STATE_PENDING;
	return __atomic_compare_exchange_n(&s->processed, &expect, ACRN_IOREQ_STATE_PROCESSING, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static bool size_ok(uint64_t size, bool allow8)
{
	return size == 1 || size == 2 || size == 4 || (allow8 && size == 8);
}

static uint64_t ones(uint64_t size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/*
 * Check and serve the private copy r. On success the read value is in *val;
 * otherwise why says what is wrong and *val is all-ones for the access size.
 */
static int serve(struct dm *dm, const struct acrn_io_request *r, uint64_t *val, const char **why)
{
	*why = NULL;
	switch (r->type) {
	case ACRN_IOREQ_TYPE_PORTIO: {
		const struct acrn_pio_request *p = &r->reqs.pio_request;
		*val = 0xffffffffu;
		if (p->direction > ACRN_IOREQ_DIR_WRITE)
			return *why = "direction is neither read nor write", -EINVAL;
		if (!size_ok(p->size, false))
			return *why = "size is not 1, 2 or 4 for port I/O", -EINVAL;
		*val = ones(p->size);
		if (p->address > 0xffff || p->address + p->size > DM_PIO_SPACE)
			return *why = "port beyond 0xFFFF", -EINVAL;
		uint32_t v = p->value;
		bool wr = p->direction == ACRN_IOREQ_DIR_WRITE;
		dm_pio_access(&dm->pio, (uint16_t)p->address, (unsigned)p->size, wr, &v);
		*val = v;
		return 0;
	}
	case ACRN_IOREQ_TYPE_MMIO: {
		const struct acrn_mmio_request *m = &r->reqs.mmio_request;
		*val = ~0ull;
		if (m->direction > ACRN_IOREQ_DIR_WRITE)
			return *why = "direction is neither read nor write", -EINVAL;
		if (!size_ok(m->size, true))
			return *why = "size is not 1, 2, 4 or 8 for MMIO", -EINVAL;
		*val = ones(m->size);
		if (m->address + m->size < m->address)
			return *why = "address wraps", -EINVAL;
		uint64_t v = m->value;
		dm_mmio_access(&dm->mmio, m->address, (unsigned)m->size, m->direction == ACRN_IOREQ_DIR_WRITE, &v);
		*val = v;
		return 0;
	}
	case ACRN_IOREQ_TYPE_PCICFG: {
		const struct acrn_pci_request *c = &r->reqs.pci_request;
		*val = 0xffffffffu;
		if (c->direction > ACRN_IOREQ_DIR_WRITE)
			return *why = "direction is neither read nor write", -EINVAL;
		if (c->size != 1 && c->size != 2 && c->size != 4)
			return *why = "size is not 1, 2 or 4 for PCI config", -EINVAL;
		*val = ones((uint64_t)c->size);
		if (c->bus < 0 || c->bus > 255 || c->dev < 0 || c->dev >= (int)DM_PCI_SLOTS || c->func < 0 ||
		    c->func >= (int)DM_PCI_FUNCS)
			return *why = "bus/device/function out of range", -EINVAL;
		if (c->reg < 0 || c->reg >= (int)DM_PCI_CFG_EXT_SIZE)
			return *why = "register beyond 4K of config space", -EINVAL;
		uint32_t v = (uint32_t)c->value;
		dm_pci_cfg_access(&dm->pci, (unsigned)c->bus, (unsigned)c->dev, (unsigned)c->func,
				  (unsigned)c->reg, (unsigned)c->size, c->direction == ACRN_IOREQ_DIR_WRITE, &v);
		*val = v;
		return 0;
	}
	case ACRN_IOREQ_TYPE_WP:
		*val = ~0ull;
		return *why = "write-protect requests are not tern-dm's", -EINVAL;
	default:
		*val = ~0ull;
		return *why = "unknown request type", -EINVAL;
	}
}

/* Put a read's value where this type keeps it (only reads return one). */
static void write_value(volatile struct acrn_io_request *s, const struct acrn_io_request *r, uint64_t val)
{
	switch (r->type) {
	case ACRN_IOREQ_TYPE_PORTIO:
		if (r->reqs.pio_request.direction == ACRN_IOREQ_DIR_READ)
			s->reqs.pio_request.value = (uint32_t)val;
		break;
	case ACRN_IOREQ_TYPE_MMIO:
		if (r->reqs.mmio_request.direction == ACRN_IOREQ_DIR_READ)
			s->reqs.mmio_request.value = val;
		break;
	case ACRN_IOREQ_TYPE_PCICFG:
		if (r->reqs.pci_request.direction == ACRN_IOREQ_DIR_READ)
			s->reqs.pci_request.value = (int32_t)(uint32_t)val;
		break;
	default:
		break;            /* unknown layout: leave the slot's bytes alone */
	}
}

static void complete(struct dm *dm, unsigned vcpu, volatile struct acrn_io_request *s, bool polling)
{
	/* Release: the value is visible before the state says COMPLETE. */
	__atomic_store_n(&s->processed, ACRN_IOREQ_STATE_COMPLETE, __ATOMIC_RELEASE);
	dm->completed++;
	if (polling)
		return;
	struct acrn_ioreq_notify n = { .vmid = dm->hsm->vmid, .vcpu = vcpu };
	int rc = dm_hsm_call(dm->hsm, HSM_NOTIFY_REQUEST_FINISH, &n);
	if (rc) {
		dm->notify_refused++;
		dm_log(dm, "slot %u: NOTIFY_REQUEST_FINISH refused: %s", vcpu, strerror(-rc));
	}
}

static const char *type_name(uint32_t t)
{
	switch (t) {
	case ACRN_IOREQ_TYPE_PORTIO: return "port I/O";
	case ACRN_IOREQ_TYPE_MMIO: return "MMIO";
	case ACRN_IOREQ_TYPE_PCICFG: return "PCI config";
	case ACRN_IOREQ_TYPE_WP: return "write-protect";
	default: return "type";
	}
}

enum dm_slot_result dm_ioreq_handle_slot(struct dm *dm, unsigned vcpu)
{
	if (vcpu >= ACRN_IOREQ_SLOTS || !dm->hsm->ioreq_page)
		return DM_SLOT_IDLE;
	volatile struct acrn_io_request *s = &dm->hsm->ioreq_page[vcpu];
	uint32_t state = load_state(s);
	/* A kernel-handled slot is the HSM's, PENDING or not: never claimed. */
	if (state == ACRN_IOREQ_STATE_PENDING && dm->claim_pending && !s->kernel_handled && claim(s))
		state = ACRN_IOREQ_STATE_PROCESSING;
	if (state > ACRN_IOREQ_STATE_FREE) {
		if (dm->reported_state[vcpu] != state) {
			dm->reported_state[vcpu] = state;
			dm->rejected++;
			dm_log(dm, "slot %u: illegal state %u: left alone", vcpu, state);
		}
		return DM_SLOT_ILLEGAL_STATE;
	}
	dm->reported_state[vcpu] = state;
	if (state != ACRN_IOREQ_STATE_PROCESSING)
		return DM_SLOT_IDLE;
	struct acrn_io_request r;
	memcpy(&r, (const void *)s, sizeof(r));
	if (r.kernel_handled)
		return DM_SLOT_IDLE;  /* the HSM serves it in the kernel */
	uint64_t val;
	const char *why;
	int rc = serve(dm, &r, &val, &why);
	write_value(s, &r, val);
	bool polling = dm->polling || r.completion_polling;
	if (rc) {
		dm->rejected++;
		dm_log(dm, "slot %u: rejected %s request (type %u): %s", vcpu, type_name(r.type), r.type, why);
		complete(dm, vcpu, s, polling);
		return DM_SLOT_REJECTED;
	}
	complete(dm, vcpu, s, polling);
	return DM_SLOT_COMPLETED;
}

unsigned dm_ioreq_handle_all(struct dm *dm)
{
	unsigned n = 0;
	for (unsigned v = 0; v < ACRN_IOREQ_SLOTS; v++) {
		enum dm_slot_result res = dm_ioreq_handle_slot(dm, v);
		n += res == DM_SLOT_COMPLETED || res == DM_SLOT_REJECTED;
	}
	return n;
}
