/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "scenario.h"
#include "../../dm/hsm_sock_proto.h"
#include "ept_qual.h"
#include "hypercall.h"
#include "ioreq.h"
#include "page_walk.h"
#include "sim.h"
#include "exit.h"
#include "exit_dispatch.h"
#include "vm_mgr.h"

#ifndef TERN_DM_BIN
#error "TERN_DM_BIN: the path of build/host/tern-dm (the Makefile defines it)"
#endif

#define USER_PCPU "1"
#define CR0_PE_ET_NE 0x31u
#define PCI_CONFIG_ADDRESS 0xcf8u
#define PCI_CONFIG_DATA 0xcfcu
#define PCI_CONFIG_ENABLE 0x80000000u

/* I/O-instruction exit qualification (SDM Vol. 3C 28.2.1, Table 28-5). */
#define IO_QUAL_IN (1u << 3)
#define IO_QUAL_PORT_SHIFT 16
#define OPSIZE_PREFIX 0x66u
#define MODRM_EAX_EBX 0x03u       /* mod 00, reg EAX, r/m [EBX] */

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int scn_spawn(struct scn *s, struct child *d, const char *const args[])
{
	const char *argv[40];
	unsigned n = 0;
	argv[n++] = TERN_DM_BIN;
	argv[n++] = "--sim";
	argv[n++] = s->live.path;
	for (unsigned i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return child_spawn(d, argv);
}

static bool dm_exited(struct sim_live *l, void *arg)
{
	(void)l;
	return child_reaped(arg);
}

int scn_wait_dm(struct scn *s, struct child *d, int timeout_ms)
{
	if (sim_live_run(&s->live, dm_exited, d, timeout_ms, false))
		return -1;
	return d->status;
}

/* The guest booted into flat 32-bit protected mode (the CPU's state, not core's). */
static void guest_boot(struct scn *s)
{
	s->u = &s->vm->vcpus[0];
	sim_vcpu_flat_state(s->u, false, 0);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(s->u);
	hw->regs[VCPU_CR0] = CR0_PE_ET_NE;
	hw->regs[VCPU_RIP] = SCN_CODE_GPA;
	vcpu_cache_reset(s->u);
	s->rip = SCN_CODE_GPA;
}

/* The VM is running and its vCPU 0 in guest mode (or tern-dm gave up). */
static bool vm_up(struct sim_live *l, void *arg)
{
	struct scn *s = arg;
	s->vm = sim_live_vm(l, s->name);
	if (s->vm && s->vm->state == VM_STATE_RUNNING && s->vm->vcpus[0].in_guest)
		return true;
	return child_reaped(&s->dm);
}

int scn_long_mode(struct scn *s)
{
	/* 4-level paging, the low 4 GiB identity-mapped by 1 GiB pages (SDM Vol. 3A 4.5). */
	uint8_t *pt = sim_live_guest(&s->live, s->vm, SCN_PML4_GPA, 2 * SCN_PAGE);
	if (!pt)
		return -1;
	memset(pt, 0, 2 * SCN_PAGE);
	uint64_t e = (SCN_PML4_GPA + SCN_PAGE) | PTE_P | PTE_RW;
	memcpy(pt, &e, sizeof(e));
	for (uint64_t gib = 0; gib < 4; gib++) {
		e = gib << 30 | PTE_P | PTE_RW | PTE_PS;
		memcpy(pt + SCN_PAGE + 8 * gib, &e, sizeof(e));
	}
	sim_vcpu_flat_state(s->u, true, 0);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(s->u);
	hw->regs[VCPU_CR3] = SCN_PML4_GPA;
	hw->regs[VCPU_RIP] = s->rip;
	vcpu_cache_reset(s->u);
	return 0;
}

int scn_start(struct scn *s, const char *name, const char *const dm_args[], bool polling)
{
	memset(s, 0, sizeof(*s));
	s->dm.out_fd = -1;
	s->polling = polling;
	snprintf(s->name, sizeof(s->name), "%s", name);
	char path[108];
	snprintf(path, sizeof(path), "/tmp/tern-live.%d.%ld.sock", (int)getpid(), now_ms());
	if (sim_live_init(&s->live, &s->hv, path)) {
		perror("scenario: tern-sim live mode");
		return -1;
	}
	const char *args[40];
	unsigned n = 0;
	args[n++] = "--cpu_affinity";
	args[n++] = USER_PCPU;
	if (polling)
		args[n++] = "--polling";
	for (unsigned i = 0; dm_args && dm_args[i] && n < 37; i++)
		args[n++] = dm_args[i];
	args[n++] = s->name;
	args[n] = NULL;
	if (scn_spawn(s, &s->dm, args))
		return -1;
	if (sim_live_run(&s->live, vm_up, s, SCN_TIMEOUT_MS, false) || !s->vm || s->dm.pid == 0) {
		fprintf(stderr, "scenario: tern-dm did not bring %s up:\n%s\n", name, s->dm.out);
		return -1;
	}
	guest_boot(s);
	return 0;
}

void scn_stop(struct scn *s)
{
	if (s->dm.pid > 0) {
		kill(s->dm.pid, SIGTERM);
		(void)scn_wait_dm(s, &s->dm, SCN_TIMEOUT_MS);
	}
	child_end(&s->dm);
	sim_live_fini(&s->live);
}

int64_t scn_hypercall(struct scn *s, uint64_t id, uint64_t p1, uint64_t p2)
{
	return sim_live_hypercall(&s->live, id, p1, p2);
}

/* ---- the guest's instructions ------------------------------------------------------ */

/* Put the instruction at the guest's RIP; its length. */
static unsigned place(struct scn *s, const uint8_t *bytes, unsigned len)
{
	if (s->rip + len > SCN_CODE_GPA + 0x1000)
		s->rip = SCN_CODE_GPA;
	uint8_t *code = sim_live_guest(&s->live, s->vm, s->rip, len);
	if (code)
		memcpy(code, bytes, len);
	sim_vcpu_hw(s->u)->regs[VCPU_RIP] = s->rip;
	return len;
}

int scn_io_begin(struct scn *s, bool in, uint16_t port, unsigned size, uint32_t value)
{
	/* IN AL/AX/EAX,DX: EC / 66 ED / ED; OUT DX,AL/AX/EAX: EE / 66 EF / EF. */
	uint8_t op = (uint8_t)((in ? 0xec : 0xee) | (size > 1 ? 1 : 0));
	uint8_t insn[2] = { OPSIZE_PREFIX, op };
	unsigned len = size == 2 ? place(s, insn, 2) : place(s, insn + 1, 1);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(s->u);
	hw->regs[VCPU_RDX] = port;
	if (!in)
		hw->regs[VCPU_RAX] = value;
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_IO_INSTRUCTION;
	ex.qualification = (uint64_t)port << IO_QUAL_PORT_SHIFT | (size - 1u) | (in ? IO_QUAL_IN : 0);
	ex.instr_len = len;
	if (!s->u->in_guest)
		return -1;
	(void)sim_vcpu_exit(s->u, &ex);
	s->rip += len;
	return 0;
}

int scn_insn_begin(struct scn *s, const uint8_t *insn, unsigned len, bool write, uint64_t gpa)
{
	if (len == 0 || len > SCN_INSN_MAX)
		return -1;
	unsigned n = place(s, insn, len);
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_EPT_VIOLATION;
	ex.qualification = (write ? EPT_QUAL_WRITE : EPT_QUAL_READ) | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE;
	ex.guest_physical = gpa;
	ex.guest_linear = gpa;     /* flat segments, no paging: linear = physical */
	ex.instr_len = n;
	if (!s->u->in_guest)
		return -1;
	(void)sim_vcpu_exit(s->u, &ex);
	s->rip += n;
	return 0;
}

int scn_insn(struct scn *s, const uint8_t *insn, unsigned len, bool write, uint64_t gpa)
{
	if (scn_insn_begin(s, insn, len, write, gpa))
		return -1;
	return scn_io_finish(s, SCN_TIMEOUT_MS);
}

int scn_mmio_begin(struct scn *s, bool write, uint64_t gpa, unsigned size, uint32_t value)
{
	uint8_t insn[3] = { OPSIZE_PREFIX, 0, MODRM_EAX_EBX };
	insn[1] = (uint8_t)((write ? 0x88 : 0x8a) | (size > 1 ? 1 : 0));
	struct sim_vcpu_hw *hw = sim_vcpu_hw(s->u);
	hw->regs[VCPU_RBX] = gpa;
	if (write)
		hw->regs[VCPU_RAX] = value;
	return size == 2 ? scn_insn_begin(s, insn, 3, write, gpa) : scn_insn_begin(s, insn + 1, 2, write, gpa);
}

int scn_mmio_load(struct scn *s, uint64_t gpa, unsigned size, uint32_t *eax)
{
	if (scn_mmio_begin(s, false, gpa, size, 0) || scn_io_finish(s, SCN_TIMEOUT_MS))
		return -1;
	*eax = (uint32_t)sim_vcpu_hw(s->u)->regs[VCPU_RAX];
	return 0;
}

int scn_mmio_store(struct scn *s, uint64_t gpa, unsigned size, uint32_t value)
{
	if (scn_mmio_begin(s, true, gpa, size, value))
		return -1;
	return scn_io_finish(s, SCN_TIMEOUT_MS);
}

static bool back_in_guest(struct sim_live *l, void *arg)
{
	(void)l;
	return ((struct scn *)arg)->u->in_guest != 0;
}

int scn_io_finish(struct scn *s, int timeout_ms)
{
	if (sim_live_run(&s->live, back_in_guest, s, timeout_ms, s->polling))
		return -1;
	return sim_vcpu_hw(s->u)->regs[VCPU_RIP] == s->rip ? 0 : -1;
}

int scn_in(struct scn *s, uint16_t port, unsigned size, uint32_t *eax)
{
	if (scn_io_begin(s, true, port, size, 0) || scn_io_finish(s, SCN_TIMEOUT_MS))
		return -1;
	*eax = (uint32_t)sim_vcpu_hw(s->u)->regs[VCPU_RAX];
	return 0;
}

int scn_out(struct scn *s, uint16_t port, unsigned size, uint32_t value)
{
	if (scn_io_begin(s, false, port, size, value))
		return -1;
	return scn_io_finish(s, SCN_TIMEOUT_MS);
}

static uint32_t cfg_address(unsigned dev, unsigned func, unsigned reg)
{
	return PCI_CONFIG_ENABLE | (dev & 31u) << 11 | (func & 7u) << 8 | (reg & 0xfcu);
}

static uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1u;
}

uint32_t scn_cfg_read(struct scn *s, unsigned dev, unsigned func, unsigned reg, unsigned size)
{
	uint32_t v = 0xdeadbeefu;
	if (scn_out(s, PCI_CONFIG_ADDRESS, 4, cfg_address(dev, func, reg)) ||
	    scn_in(s, (uint16_t)(PCI_CONFIG_DATA + (reg & 3u)), size, &v))
		return 0xdeadbeefu;
	return v & size_mask(size);
}

void scn_cfg_write(struct scn *s, unsigned dev, unsigned func, unsigned reg, unsigned size, uint32_t value)
{
	if (scn_out(s, PCI_CONFIG_ADDRESS, 4, cfg_address(dev, func, reg)) == 0)
		(void)scn_out(s, (uint16_t)(PCI_CONFIG_DATA + (reg & 3u)), size, value);
}

int scn_pause_destroy_parked(struct scn *s)
{
	const char *why = NULL;
	if (scn_hypercall(s, HC_PAUSE_VM, s->vm->id, 0) || s->vm->state != VM_STATE_PAUSED)
		why = "HC_PAUSE_VM refused";
	else if (s->u->paused_state != VCPU_STATE_WAIT_IO)
		why = "the paused vCPU was not waiting for its request";
	else if (vm_mgr_check(s->vm))
		why = "vm_mgr_check failed on the paused VM";
	else if (scn_hypercall(s, HC_DESTROY_VM, s->vm->id, 0) || s->vm->state != VM_STATE_POWERED_OFF)
		why = "HC_DESTROY_VM refused";
	if (why)
		fprintf(stderr, "scenario: %s\n", why);
	return why ? -1 : 0;
}

const struct sim_live_hcall *scn_last_hcall(const struct scn *s, uint64_t id)
{
	for (unsigned i = s->live.nlog; i-- > 0 && s->live.nlog - i <= SIM_LIVE_MAX_LOG;) {
		const struct sim_live_hcall *h = &s->live.log[i % SIM_LIVE_MAX_LOG];
		if (h->id == id)
			return h;
	}
	return NULL;
}

unsigned scn_count_hcalls(const struct scn *s, uint64_t id)
{
	unsigned n = 0;
	for (unsigned i = s->live.nlog; i-- > 0 && s->live.nlog - i <= SIM_LIVE_MAX_LOG;)
		n += s->live.log[i % SIM_LIVE_MAX_LOG].id == id;
	return n;
}

/* ---- a device model of the test's own ------------------------------------------------ */

/* ACRN's HSM request numbers (include/uapi/linux/acrn.h; platform/sim/live.c). */
#define RAW_CREATE_VM 0xc030a210u
#define RAW_SET_MEMSEG 0x4020a241u
#define RAW_CREATE_IOREQ_CLIENT 0xa232u
#define RAW_START_VM 0xa212u
#define RAW_USER_PCPU_MASK 0x2u

struct raw_reply_wait {
	int fd;
};

static bool readable(struct sim_live *l, void *arg)
{
	(void)l;
	struct pollfd pf = { .fd = *(int *)arg, .events = POLLIN };
	return poll(&pf, 1, 0) == 1;
}

int32_t scn_raw_call(struct scn *s, struct scn_raw *r, uint32_t nr, uint32_t len_field, const void *payload,
		     uint32_t len)
{
	struct tern_hsm_msg m = { .nr = nr, .len = len_field };
	uint8_t buf[sizeof(m) + TERN_HSM_MAX_PAYLOAD];
	if (len > TERN_HSM_MAX_PAYLOAD)
		return -E2BIG;
	memcpy(buf, &m, sizeof(m));
	if (len)
		memcpy(buf + sizeof(m), payload, len);
	if (send(r->fd, buf, sizeof(m) + len, MSG_NOSIGNAL) != (ssize_t)(sizeof(m) + len))
		return -EPIPE;
	/* The server runs in this process: serve until the reply is there. */
	if (sim_live_run(&s->live, readable, &r->fd, SCN_TIMEOUT_MS, false))
		return -ETIMEDOUT;
	struct tern_hsm_reply rep;
	union {
		char b[CMSG_SPACE(sizeof(int) * TERN_HSM_NFDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.b;
	msg.msg_controllen = sizeof(ctl.b);
	ssize_t n = recvmsg(r->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -EPIPE;        /* the hypervisor hung up (EOF, or reset with our bytes unread) */
	if (n != sizeof(rep) || rep.len > TERN_HSM_MAX_PAYLOAD)
		return -EPROTO;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int) * TERN_HSM_NFDS)) {
			int fds[TERN_HSM_NFDS];
			memcpy(fds, CMSG_DATA(c), sizeof(fds));
			r->ram_fd = fds[TERN_HSM_FD_RAM];
			r->req_fd = fds[TERN_HSM_FD_REQUEST];
		}
	if (rep.len && recv(r->fd, buf, rep.len, MSG_WAITALL) != (ssize_t)rep.len)
		return -EPROTO;
	if (rep.len && rep.len <= len)
		memcpy((void *)(uintptr_t)payload, buf, rep.len);
	return rep.status;
}

int scn_raw_start(struct scn *s, struct scn_raw *r, const char *name, uint64_t mem)
{
	memset(r, 0, sizeof(*r));
	r->ram_fd = r->req_fd = -1;
	r->page = MAP_FAILED;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, s->live.path);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	struct acrn_vm_creation cv;
	memset(&cv, 0, sizeof(cv));
	snprintf((char *)cv.name, sizeof(cv.name), "%s", name);
	cv.vcpu_num = 1;
	cv.cpu_affinity = RAW_USER_PCPU_MASK;
	if (scn_raw_call(s, r, RAW_CREATE_VM, sizeof(cv), &cv, sizeof(cv)) || r->ram_fd < 0)
		return -1;
	r->vmid = cv.vmid;
	r->page = mmap(NULL, IOREQ_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, r->ram_fd, (off_t)cv.ioreq_buf);
	struct vm_memory_region_hsm {
		uint32_t type, attr;
		uint64_t user_vm_pa, service_vm_pa, len;
	} mm = { 0, 7, 0, 0, mem };
	if (r->page == MAP_FAILED || scn_raw_call(s, r, RAW_SET_MEMSEG, sizeof(mm), &mm, sizeof(mm)) ||
	    scn_raw_call(s, r, RAW_CREATE_IOREQ_CLIENT, 0, NULL, 0) || scn_raw_call(s, r, RAW_START_VM, 0, NULL, 0))
		return -1;
	return 0;
}

void scn_raw_close(struct scn_raw *r)
{
	if (r->page != MAP_FAILED && r->page)
		munmap(r->page, IOREQ_PAGE_SIZE);
	r->page = MAP_FAILED;
	if (r->fd >= 0)
		close(r->fd);
	if (r->ram_fd >= 0)
		close(r->ram_fd);
	if (r->req_fd >= 0)
		close(r->req_fd);
	r->fd = r->ram_fd = r->req_fd = -1;
}

int scn_start_raw(struct scn *s, struct scn_raw *r, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->dm.out_fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	char path[108];
	snprintf(path, sizeof(path), "/tmp/tern-live.%d.%ld.sock", (int)getpid(), now_ms());
	if (sim_live_init(&s->live, &s->hv, path) || scn_raw_start(s, r, name, 2u << 20))
		return -1;
	sim_live_settle(&s->live);
	s->vm = sim_live_vm(&s->live, name);
	if (!s->vm || !s->vm->vcpus[0].in_guest)
		return -1;
	guest_boot(s);
	return 0;
}
