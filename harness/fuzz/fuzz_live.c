/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile device model against tern-sim's live mode (platform/sim/live.c)
 * and core behind it: the input is a sequence of operations — HSM requests
 * (any known request number with any payload, or a raw header with any
 * number and length), the User VM's guest doing port I/O (so that requests
 * are pending), the device model writing any state, size and value into
 * any slot of the IOREQ page it was given. After every operation every live
 * VM must satisfy vm_mgr_check(); the server must never crash, hang or touch
 * memory outside what it owns (ASan/UBSan).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "exit_dispatch.h"
#include "ioreq.h"
#include "live.h"
#include "sim.h"
#include "vm_mgr.h"
#include "fuzz_input.h"
#include "../../dm/hsm_sock_proto.h"

#define MAX_OPS 64
#define IO_QUAL_IN (1u << 3)

static const uint32_t known[] = {
	0xc030a210u, /* CREATE_VM */
	0x4020a241u, /* SET_MEMSEG */
	0x4020a242u, /* UNSET_MEMSEG */
	0xa232u,     /* CREATE_IOREQ_CLIENT */
	0xa234u,     /* DESTROY_IOREQ_CLIENT */
	0xa212u,     /* START_VM */
	0xa213u,     /* PAUSE_VM */
	0xa215u,     /* RESET_VM */
	0xa211u,     /* DESTROY_VM */
	0x4008a231u, /* NOTIFY_REQUEST_FINISH */
	0x4010a223u, /* INJECT_MSI */
	0x4008a225u, /* SET_IRQLINE */
	0x4128a216u, /* SET_VCPU_REGS */
};


static void bytes(struct input *in, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = byte(in);
}

struct reply_wait {
	int fd;
};

static bool replied(struct sim_live *l, void *arg)
{
	struct pollfd pf = { .fd = ((struct reply_wait *)arg)->fd, .events = POLLIN };
	return sim_live_conns(l) == 0 || poll(&pf, 1, 0) == 1;
}

static void drain(int fd)
{
	uint8_t buf[1024];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void check_vms(struct tern *hv)
{
	for (unsigned v = 0; v < TERN_MAX_VMS; v++)
		if (hv->vms[v].state != VM_STATE_POWERED_OFF && vm_mgr_check(&hv->vms[v]) != 0)
			abort();
}

/* The User VM's guest (flat 32-bit) does IN or OUT on a port; its vCPU may park. */
static void guest_io(struct sim_live *l, struct input *in)
{
	for (unsigned v = 0; v < TERN_MAX_VMS; v++) {
		struct vm *vm = &l->hv->vms[v];
		if (vm == l->sos || vm->state != VM_STATE_RUNNING || !vm->vcpus[0].in_guest)
			continue;
		struct vcpu *u = &vm->vcpus[0];
		sim_vcpu_flat_state(u, false, 0);
		sim_vcpu_hw(u)->regs[VCPU_CR0] = 0x31;
		vcpu_cache_reset(u);
		uint8_t b = byte(in);
		unsigned size = 1u << (b % 3);
		uint16_t port = (uint16_t)(byte(in) | byte(in) << 8);
		struct exit_record ex;
		memset(&ex, 0, sizeof(ex));
		ex.reason = EXIT_REASON_IO_INSTRUCTION;
		ex.qualification = (uint64_t)port << 16 | (size - 1) | ((b & 0x80) ? IO_QUAL_IN : 0);
		ex.instr_len = 1;
		sim_vcpu_hw(u)->regs[VCPU_RAX] = byte(in);
		(void)sim_vcpu_exit(u, &ex);
		return;
	}
}

/* The device model writes a slot of some VM's page. */
static void dm_writes_slot(struct sim_live *l, struct input *in)
{
	unsigned v = byte(in) % TERN_MAX_VMS;
	struct vm *vm = &l->hv->vms[v];
	uint8_t *page = vm->state != VM_STATE_POWERED_OFF ? sim_live_page(l, vm) : NULL;
	if (!page)
		return;
	uint8_t *slot = page + (byte(in) % IOREQ_SLOTS) * IOREQ_SLOT_SIZE;
	uint8_t what = byte(in);
	if (what & 1)
		bytes(in, slot + IOREQ_OFF_VALUE, 8);
	if (what & 2)
		bytes(in, slot + IOREQ_OFF_SIZE, 8);
	uint32_t state = byte(in) % 5;
	memcpy(slot + IOREQ_OFF_STATE, &state, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tern hv;
	static struct sim_live l;
	struct input in = { data, size };
	int sv[2];
	if (sim_live_init(&l, &hv, NULL) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	l.quiet = true;
	if (sim_live_adopt(&l, sv[0]))
		abort();
	for (unsigned op = 0; op < MAX_OPS && in.left && sim_live_conns(&l); op++) {
		uint8_t kind = byte(&in);
		if (kind < 0xe0) {
			uint8_t msg[sizeof(struct tern_hsm_msg) + TERN_HSM_MAX_PAYLOAD];
			struct tern_hsm_msg m;
			size_t plen;
			if (kind < 0xc0) {
				m.nr = known[kind % (sizeof(known) / sizeof(known[0]))];
				m.len = (m.nr >> 16) & 0x3fffu;
				plen = m.len;
			} else {
				bytes(&in, (uint8_t *)&m, sizeof(m));
				plen = m.len < TERN_HSM_MAX_PAYLOAD ? m.len : TERN_HSM_MAX_PAYLOAD;
			}
			memcpy(msg, &m, sizeof(m));
			bytes(&in, msg + sizeof(m), plen);
			if (send(sv[1], msg, sizeof(m) + plen, MSG_NOSIGNAL) < 0)
				break;
			struct reply_wait w = { sv[1] };
			(void)sim_live_run(&l, replied, &w, 100, false);
			drain(sv[1]);
		} else if (kind < 0xf0) {
			guest_io(&l, &in);
			sim_live_settle(&l);
		} else {
			dm_writes_slot(&l, &in);
			sim_live_settle(&l);
		}
		check_vms(&hv);
	}
	close(sv[1]);
	struct reply_wait w = { -1 };
	(void)sim_live_run(&l, replied, &w, 100, false);
	check_vms(&hv);
	sim_live_fini(&l);
	return 0;
}
