/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-sim live mode (live.h): the HSM socket's hypervisor side, with core
 * behind it. Everything a device model sends is hostile: lengths, numbers and
 * structures are checked here as a kernel HSM checks its ioctl arguments, and
 * what reaches core is checked again by core.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "live.h"
#include "sim.h"
#include "sim_rec.h"
#include "sched_poll.h"
#include "../../dm/hsm_sock_proto.h"
#include "err.h"
#include "exit.h"
#include "exit_dispatch.h"
#include "hypercall.h"
#include "ioreq.h"
#include "cpuid.h"
#include "msr.h"
#include "vlapic.h"
#include "vm_memory.h"
#include "vm_mgr.h"

/*
 * ACRN's HSM request numbers (include/uapi/linux/acrn.h, ioctl type 0xA2;
 * ../shared/design/ACRN-ABI.md). dm/hsm.h spells them with the structures;
 * core's headers carry the same structures for the hypercalls, so the two
 * cannot share one translation unit: the numbers are repeated here as the
 * ABI's facts, the sizes checked against core's structures below.
 */
#define IOC(dir, nr, size) (((uint32_t)(dir) << 30) | ((uint32_t)(size) << 16) | (0xA2u << 8) | (uint32_t)(nr))
#define IOC_SIZE(req) (((req) >> 16) & 0x3fffu)
#define HSM_CREATE_VM IOC(3u, 0x10, 48)
#define HSM_DESTROY_VM IOC(0u, 0x11, 0)
#define HSM_START_VM IOC(0u, 0x12, 0)
#define HSM_PAUSE_VM IOC(0u, 0x13, 0)
#define HSM_RESET_VM IOC(0u, 0x15, 0)
#define HSM_SET_VCPU_REGS IOC(1u, 0x16, 296)
#define HSM_INJECT_MSI IOC(1u, 0x23, 16)
#define HSM_SET_IRQLINE IOC(1u, 0x25, 8)
#define HSM_NOTIFY_REQUEST_FINISH IOC(1u, 0x31, 8)
#define HSM_CREATE_IOREQ_CLIENT IOC(0u, 0x32, 0)
#define HSM_DESTROY_IOREQ_CLIENT IOC(0u, 0x34, 0)
#define HSM_SET_MEMSEG IOC(1u, 0x41, 32)
#define HSM_UNSET_MEMSEG IOC(1u, 0x42, 32)
_Static_assert(HSM_CREATE_VM == 0xc030a210u, "CREATE_VM");
_Static_assert(HSM_SET_MEMSEG == 0x4020a241u, "SET_MEMSEG");
_Static_assert(HSM_NOTIFY_REQUEST_FINISH == 0x4008a231u, "NOTIFY_REQUEST_FINISH");
_Static_assert(HSM_INJECT_MSI == 0x4010a223u, "INJECT_MSI");
_Static_assert(HSM_SET_IRQLINE == 0x4008a225u, "SET_IRQLINE");
_Static_assert(IOC_SIZE(HSM_CREATE_VM) == sizeof(struct acrn_vm_creation), "acrn_vm_creation");
_Static_assert(HSM_SET_VCPU_REGS == 0x4128a216u, "SET_VCPU_REGS");
/*
 * Linux's acrn_vcpu_regs (the ioctl's 296 bytes) ends at tr_sel; core's
 * (ACRN's acrn_common.h) has reserved_16[4] after it. Linux's HSM copies
 * the 296 bytes into a kernel buffer and passes its address, so the
 * hypervisor reads 8 bytes that follow the copy: here they are not zero
 * (LIVE_REGS_TAIL_FILL), as the kernel does not promise them to be.
 */
#define LIVE_REGS_TAIL_FILL 0xa5
_Static_assert(sizeof(struct acrn_vcpu_regs) == 296 + 8, "acrn_vcpu_regs: Linux's + reserved_16[4]");

/* struct acrn_vm_memmap (SET_MEMSEG), struct acrn_ioreq_notify: ACRN's layouts. */
struct live_memmap {
	uint32_t type;
	uint32_t attr;
	uint64_t user_vm_pa;
	uint64_t service_vm_pa;
	uint64_t len;
};
struct live_notify {
	uint16_t vmid;
	uint16_t reserved;
	uint32_t vcpu;
};
_Static_assert(sizeof(struct live_memmap) == 32, "acrn_vm_memmap");
_Static_assert(sizeof(struct live_notify) == 8, "acrn_ioreq_notify");
#define MEMMAP_RAM 0u

#define PAGE 4096u
#define VMCALL_LEN 3u
#define WRMSR_LEN 2u
#define KICK_VECTOR 0xf2u        /* the vector a kick's IPI exits with */
#define SETTLE_ROUNDS 64u
#define SPIN_SERVE_EVERY 64u     /* polling mode: settle passes between looks at the sockets */
#define MSG_MAX_PAYLOAD TERN_HSM_MAX_PAYLOAD

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static long now_ms(void)
{
	return (long)(now_ns() / 1000000u);
}

static void report(struct sim_live *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct sim_live *l, const char *fmt, ...)
{
	if (l->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("tern-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint8_t *sos_mem(struct sim_live *l, uint64_t gpa)
{
	return sim_vm_ram(l->sos->id) + gpa;
}

/* Byte offset of a Service VM GPA in the host-RAM memfd (what tern-dm maps). */
static uint64_t memfd_offset(struct sim_live *l, uint64_t sos_gpa)
{
	return sim.vms[l->sos->id].ram_hpa - SIM_HOST_RAM_HPA + sos_gpa;
}

/* ---- the pCPUs ---------------------------------------------------------------- */

static struct vcpu *sos_vcpu(struct sim_live *l)
{
	return &l->sos->vcpus[0];
}

/*
 * The HSM's upcall handler (Linux drivers/virt/acrn/ioreq.c): the Service VM
 * took the callback vector; every VM with a PENDING slot hears of it.
 */
static void upcall(struct sim_live *l)
{
	l->upcalls++;
	l->upcall_ns = now_ns();
	for (unsigned v = 0; v < TERN_MAX_VMS; v++) {
		struct sim_live_vm *lv = &l->vms[v];
		if (lv->req_efd < 0 || !lv->page_gpa)
			continue;
		bool pending = false;
		for (unsigned s = 0; s < IOREQ_SLOTS; s++) {
			uint32_t *state = (uint32_t *)sos_mem(l, lv->page_gpa + s * IOREQ_SLOT_SIZE + IOREQ_OFF_STATE);
			pending |= __atomic_load_n(state, __ATOMIC_ACQUIRE) == IOREQ_PENDING;
		}
		uint64_t one = 1;
		if (pending && write(lv->req_efd, &one, sizeof(one)) != sizeof(one))
			report(l, "vm%u: request eventfd: %s", v, strerror(errno));
	}
}

/* The vCPU entered; what the Service VM's guest does with an injected event. */
static void entered(struct sim_live *l, struct vcpu *v)
{
	struct sim_vcpu_hw *hw = sim_vcpu_hw(v);
	l->entered_ns[v->vm->id] = now_ns();
	if (v == sos_vcpu(l) && hw->injected.valid && hw->injected.type == INTR_TYPE_EXT_INT &&
	    hw->injected.vector == l->sos->upcall_vector) {
		hw->injected.valid = false;
		upcall(l);
		/*
		 * The handler ends with the EOI, as Linux's does (an edge
		 * vector: nothing to broadcast); without it the vector's ISR
		 * bit would hold every later upcall back (SDM 10.8.5).
		 */
		l->eoi_due = true;
	}
}

/* A kick's IPI reached a pCPU whose vCPU is in guest mode: it exits. */
static void kicked_exit(struct vcpu *v)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_EXTERNAL_INTERRUPT;
	ex.intr_info = INTR_INFO_VALID | KICK_VECTOR;
	(void)sim_vcpu_exit(v, &ex);
}

/* The pCPUs any live VM runs on (pCPU 0: the Service VM; affinity 0 means pCPU 0). */
static uint64_t used_pcpus(const struct sim_live *l)
{
	uint64_t m = 1;
	for (unsigned v = 0; v < TERN_MAX_VMS; v++) {
		const struct vm *vm = &l->hv->vms[v];
		if (vm->state != VM_STATE_POWERED_OFF)
			m |= vm->config.cpu_affinity;
	}
	return m & ((1ull << TERN_MAX_PCPUS) - 1);
}

/*
 * One pass over the pCPUs in use: true when anything happened. As on the
 * hardware, an idle pCPU sleeps until it is kicked; it asks the scheduler
 * again only then, on the first pass after an outside action (force), or
 * while one of its vCPUs waits on a polling-mode slot (the scheduler's poll).
 */
static bool step(struct sim_live *l, bool force)
{
	bool moved = false;
	uint64_t used = used_pcpus(l);
	for (uint16_t c = 0; c < TERN_MAX_PCPUS; c++) {
		if (!(used & (1ull << c)))
			continue;
		struct vcpu *cur = sim.current[c];
		bool kicked = sim.kicks[c] != l->kicks_seen[c];
		l->kicks_seen[c] = sim.kicks[c];
		if (kicked && cur && cur->in_guest) {
			kicked_exit(cur);
			moved = true;
		}
		if ((!cur || !cur->in_guest) && (force || kicked || !l->hv->cpus[c].idle || sched_cpu_polls(l->hv, c))) {
			struct vcpu *v = sim_schedule(l->hv, c);
			if (v) {
				entered(l, v);
				moved = true;
			}
		}
	}
	return moved;
}

static void sos_eoi(struct sim_live *l);

void sim_live_settle(struct sim_live *l)
{
	bool force = true;
	for (unsigned r = 0; r < SETTLE_ROUNDS && step(l, force); r++)
		force = false;
	sos_eoi(l);
}

/* ---- hypercalls ------------------------------------------------------------------ */

static void log_hcall(struct sim_live *l, uint64_t id, uint64_t p1, uint64_t p2, const void *param,
		      size_t plen, int64_t result)
{
	struct sim_live_hcall *h = &l->log[l->nlog % SIM_LIVE_MAX_LOG];
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->p1 = p1;
	h->p2 = p2;
	if (param)
		memcpy(h->param, param, plen < sizeof(h->param) ? plen : sizeof(h->param));
	h->result = result;
	l->nlog++;
}

/*
 * The Service VM's kernel writes an MSR: a WRMSR exit at the HSM's code
 * address, as the CPU raises it (SDM Vol. 3C 25.1.3), handled by core.
 * 0, or -1 when the vCPU faulted or did not retire it.
 */
static int sos_wrmsr(struct sim_live *l, uint32_t msr, uint64_t value)
{
	struct vcpu *sv = sos_vcpu(l);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(sv);
	sim_live_settle(l);
	if (!sv->in_guest)
		return -1;
	/* What the interrupted code had: the handler saves and restores it. */
	uint64_t saved[4] = { hw->regs[VCPU_RIP], hw->regs[VCPU_RAX], hw->regs[VCPU_RCX],
			      hw->regs[VCPU_RDX] };
	hw->regs[VCPU_RIP] = SIM_LIVE_SOS_RIP;
	hw->regs[VCPU_RCX] = msr;
	hw->regs[VCPU_RAX] = (uint32_t)value;
	hw->regs[VCPU_RDX] = value >> 32;
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_WRMSR;
	ex.instr_len = WRMSR_LEN;
	(void)sim_vcpu_exit(sv, &ex);
	sim_live_settle(l);
	/* A refused WRMSR (#GP) does not retire: RIP stays. */
	int ok = sv->in_guest && hw->regs[VCPU_RIP] == SIM_LIVE_SOS_RIP + WRMSR_LEN;
	hw->regs[VCPU_RIP] = saved[0];
	hw->regs[VCPU_RAX] = saved[1];
	hw->regs[VCPU_RCX] = saved[2];
	hw->regs[VCPU_RDX] = saved[3];
	vcpu_cache_reset(sv);
	return ok ? 0 : -1;
}

/*
 * Linux's start-up of the local APIC, as far as the upcall needs it: x2APIC
 * mode (IA32_APIC_BASE EN|EXTD, SDM 10.12.1) and the SVR's software enable.
 * Tern's vLAPIC implements x2APIC whatever the host has; it is used only
 * when the Service VM's CPUID shows it, as a kernel would.
 */
static int sos_apic_enable(struct sim_live *l)
{
	uint32_t r[4];
	cpuid_lookup(&l->sos->cpuid, sos_vcpu(l), 1, 0, r);
	if (!(r[2] & CPUID_1_ECX_X2APIC))
		return -1;
	uint64_t base = sos_vcpu(l)->lapic.apic_base;
	if (sos_wrmsr(l, MSR_IA32_APIC_BASE, base | VLAPIC_BASE_EN | VLAPIC_BASE_EXTD) != 0)
		return -1;
	return sos_wrmsr(l, VLAPIC_MSR_BASE + (VLAPIC_SVR >> 4), VLAPIC_SVR_ENABLE | VLAPIC_SVR_RESET);
}

/* The upcall handler's EOI (x2APIC: WRMSR 0x80B), once the vCPU is back in the guest. */
static void sos_eoi(struct sim_live *l)
{
	if (!l->eoi_due)
		return;
	l->eoi_due = false;
	if (sos_wrmsr(l, VLAPIC_MSR_BASE + (VLAPIC_EOI >> 4), 0) != 0)
		report(l, "the Service VM's EOI of the upcall was refused");
}

int64_t sim_live_hypercall(struct sim_live *l, uint64_t id, uint64_t p1, uint64_t p2)
{
	struct vcpu *sv = sos_vcpu(l);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(sv);
	sim_live_settle(l);
	/*
	 * VMCALL exits; a hypercall that must wait (pause, destroy) parks the
	 * vCPU, and one refused for a busy target (-EAGAIN) has not retired:
	 * the vCPU executes VMCALL again when it runs. Bounded: core makes
	 * every such wait end once the target's vCPUs have left guest mode.
	 */
	hw->regs[VCPU_RIP] = SIM_LIVE_SOS_RIP;
	for (unsigned tries = 0; tries < SETTLE_ROUNDS; tries++) {
		if (sv->in_guest) {
			if (hw->regs[VCPU_RIP] == SIM_LIVE_SOS_RIP + VMCALL_LEN)
				break;
			hw->regs[VCPU_R8] = id;
			hw->regs[VCPU_RDI] = p1;
			hw->regs[VCPU_RSI] = p2;
			struct exit_record ex;
			memset(&ex, 0, sizeof(ex));
			ex.reason = EXIT_REASON_VMCALL;
			ex.instr_len = VMCALL_LEN;
			(void)sim_vcpu_exit(sv, &ex);
		}
		sim_live_settle(l);
	}
	if (hw->regs[VCPU_RIP] != SIM_LIVE_SOS_RIP + VMCALL_LEN) {
		report(l, "hypercall 0x%llx never returned to the Service VM", (unsigned long long)id);
		return -TERN_EAGAIN;
	}
	return (int64_t)hw->regs[VCPU_RAX];
}

/* A hypercall with a structure in the HSM's parameter page. */
static int64_t hc_param(struct sim_live *l, uint64_t id, uint64_t p1, bool param_in_p2, void *param,
			size_t len)
{
	memcpy(sos_mem(l, SIM_LIVE_PARAM_GPA), param, len);
	int64_t r = param_in_p2 ? sim_live_hypercall(l, id, p1, SIM_LIVE_PARAM_GPA)
				: sim_live_hypercall(l, id, SIM_LIVE_PARAM_GPA, 0);
	memcpy(param, sos_mem(l, SIM_LIVE_PARAM_GPA), len);
	log_hcall(l, id, param_in_p2 ? p1 : SIM_LIVE_PARAM_GPA, param_in_p2 ? SIM_LIVE_PARAM_GPA : 0,
		  param, len, r);
	return r;
}

static int64_t hc_vm(struct sim_live *l, uint64_t id, uint64_t p1, uint64_t p2)
{
	int64_t r = sim_live_hypercall(l, id, p1, p2);
	log_hcall(l, id, p1, p2, NULL, 0, r);
	return r;
}

/* ---- set-up ---------------------------------------------------------------------- */

int sim_live_init(struct sim_live *l, struct tern *hv, const char *path)
{
	memset(l, 0, sizeof(*l));
	l->hv = hv;
	l->listen_fd = -1;
	for (unsigned i = 0; i < SIM_LIVE_MAX_CONNS; i++)
		l->conns[i].fd = -1;
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		l->vms[i].req_efd = -1;
		l->vms[i].conn = -1;
	}
	l->next_page_gpa = SIM_LIVE_PAGES_GPA;
	l->next_lend_gpa = SIM_LIVE_LEND_GPA;
	sim_reset();
	tern_init(hv);
	l->sos = sim_create_vm(hv, "service", 1, true, SIM_LIVE_SOS_RAM);
	if (!l->sos) {
		errno = ENOMEM;
		return -1;
	}
	l->sos->state = VM_STATE_RUNNING;
	struct vcpu *sv = sos_vcpu(l);
	sv->state = VCPU_STATE_RUNNABLE;
	sim_rec_vm(l->sos);
	/* The Service VM's kernel: 64-bit, CPL 0, interrupts on (it takes the upcall). */
	sim_vcpu_flat_state(sv, true, 0);
	sim_vcpu_hw(sv)->regs[VCPU_RFLAGS] = 0x202;
	sim_vcpu_hw(sv)->regs[VCPU_RIP] = SIM_LIVE_SOS_RIP;
	vcpu_cache_reset(sv);
	/*
	 * A booted Linux has software-enabled its local APIC (SVR bit 8): the
	 * upcall arrives through it as a fixed interrupt, and a disabled APIC
	 * would drop it (SDM 10.4.7.2). As real WRMSR exits, so that a
	 * recording replays: x2APIC mode, then the SVR.
	 */
	if (sos_apic_enable(l) != 0) {
		errno = ENOTSUP;
		return -1;
	}
	sim_live_settle(l);
	if (!sv->in_guest) {
		errno = EIO;
		return -1;
	}
	if (!path)
		return 0;
	if (strlen(path) >= sizeof(l->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(l->path, path);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	unlink(path);
	l->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->listen_fd < 0 || bind(l->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(l->listen_fd, SIM_LIVE_MAX_CONNS))
		return -1;
	return 0;
}

static void conn_close(struct sim_live *l, unsigned c)
{
	struct sim_live_conn *cn = &l->conns[c];
	if (cn->fd >= 0)
		close(cn->fd);
	cn->fd = -1;
	if (cn->vm >= 0 && l->vms[cn->vm].conn == (int)c)
		l->vms[cn->vm].conn = -1;
	cn->vm = -1;
	cn->client = false;
}

void sim_live_fini(struct sim_live *l)
{
	for (unsigned c = 0; c < SIM_LIVE_MAX_CONNS; c++)
		conn_close(l, c);
	for (unsigned v = 0; v < TERN_MAX_VMS; v++)
		if (l->vms[v].req_efd >= 0) {
			close(l->vms[v].req_efd);
			l->vms[v].req_efd = -1;
		}
	if (l->listen_fd >= 0) {
		close(l->listen_fd);
		if (l->path[0])
			unlink(l->path);
	}
	l->listen_fd = -1;
}

/* ---- the socket ------------------------------------------------------------------ */

/* A message arrives whole (tern-dm writes header and payload at once); a short one is a broken peer. */
static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	long end = now_ms() + 1000;
	while (len) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n < 0) {
			if ((errno != EAGAIN && errno != EINTR) || now_ms() > end)
				return -1;
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			(void)poll(&pf, 1, 10);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* core's TERN_E* are Linux's errno numbers (core/err.h): a hypercall's result travels as it is. */
_Static_assert(TERN_EEXIST == EEXIST && TERN_EINVAL == EINVAL && TERN_EBUSY == EBUSY &&
	       TERN_ENOTTY == ENOTTY && TERN_ENOENT == ENOENT, "TERN_E* are Linux's errno numbers");
#define lv_errno(r) (r)

static void destroy_vm_state(struct sim_live *l, unsigned v)
{
	struct sim_live_vm *lv = &l->vms[v];
	if (lv->req_efd >= 0)
		close(lv->req_efd);
	int conn = lv->conn;
	memset(lv, 0, sizeof(*lv));
	lv->req_efd = -1;
	lv->conn = conn;
}

static int32_t do_create_vm(struct sim_live *l, unsigned c, uint8_t *payload, int *efd_out)
{
	struct sim_live_conn *cn = &l->conns[c];
	struct acrn_vm_creation cv;
	memcpy(&cv, payload, sizeof(cv));
	if (cn->vm >= 0)
		return -EBUSY;        /* one VM per connection, as one per HSM open */
	int64_t r = hc_param(l, HC_CREATE_VM, 0, false, &cv, sizeof(cv));
	if (r)
		return (int32_t)lv_errno(r);
	unsigned v = cv.vmid;
	if (v >= TERN_MAX_VMS)
		return -EIO;
	struct sim_live_vm *lv = &l->vms[v];
	destroy_vm_state(l, v);
	if (l->next_page_gpa + PAGE > SIM_LIVE_LEND_GPA) {
		(void)hc_vm(l, HC_DESTROY_VM, v, 0);
		return -ENOMEM;
	}
	uint64_t page = l->next_page_gpa;
	struct acrn_ioreq_buffer buf = { .ioreq_buf = page };
	r = hc_param(l, HC_SET_IOREQ_BUFFER, v, true, &buf, sizeof(buf));
	int efd = r ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r || efd < 0) {
		(void)hc_vm(l, HC_DESTROY_VM, v, 0);
		return r ? (int32_t)lv_errno(r) : -errno;
	}
	l->next_page_gpa += PAGE;
	lv->page_gpa = page;
	lv->req_efd = efd;
	lv->conn = (int)c;
	cn->vm = (int)v;
	cv.ioreq_buf = memfd_offset(l, page);
	memcpy(payload, &cv, sizeof(cv));
	*efd_out = efd;
	return 0;
}

/* Guest RAM: Service VM memory lent to the VM (HC_VM_SET_MEMORY_REGIONS), as ACRN's HSM maps it. */
static int32_t do_memseg(struct sim_live *l, unsigned v, uint8_t *payload, bool set)
{
	struct sim_live_vm *lv = &l->vms[v];
	struct live_memmap mm;
	memcpy(&mm, payload, sizeof(mm));
	if (mm.type != MEMMAP_RAM || mm.len == 0 || mm.len % PAGE || mm.user_vm_pa % PAGE)
		return -EINVAL;
	struct vm_memory_region mr;
	memset(&mr, 0, sizeof(mr));
	mr.gpa = mm.user_vm_pa;
	mr.size = mm.len;
	if (set) {
		if (lv->ram_len)
			return -EBUSY;    /* one RAM segment per VM in the simulator */
		uint64_t start = (l->next_lend_gpa + SIM_RAM_ALIGN - 1) & ~(SIM_RAM_ALIGN - 1);
		if (mm.len > SIM_LIVE_SOS_RAM || start > SIM_LIVE_SOS_RAM - mm.len)
			return -ENOMEM;
		mr.type = MR_ADD;
		mr.prot = MEM_ACCESS_RWX | MEM_TYPE_WB;
		mr.service_vm_gpa = start;
		mm.service_vm_pa = memfd_offset(l, start);
		memcpy(payload, &mm, sizeof(mm));
		lv->ram_sos_gpa = start;
	} else {
		if (!lv->ram_len || mm.user_vm_pa != lv->ram_gpa || mm.len != lv->ram_len)
			return -EINVAL;
		mr.type = MR_DEL;
	}
	/* The region list at the parameter page + 64, set_regions in front of it. */
	struct set_regions sr;
	memset(&sr, 0, sizeof(sr));
	sr.vmid = (uint16_t)v;
	sr.mr_num = 1;
	sr.regions_gpa = SIM_LIVE_PARAM_GPA + 64;
	memcpy(sos_mem(l, SIM_LIVE_PARAM_GPA + 64), &mr, sizeof(mr));
	int64_t r = hc_param(l, HC_VM_SET_MEMORY_REGIONS, 0, false, &sr, sizeof(sr));
	if (r)
		return (int32_t)lv_errno(r);
	if (set) {
		l->next_lend_gpa = mr.service_vm_gpa + mm.len;
		lv->ram_gpa = mm.user_vm_pa;
		lv->ram_len = mm.len;
	} else {
		lv->ram_len = 0;
	}
	return 0;
}

/* A request of connection c: the reply's status; payload may be rewritten for the reply. */
static int32_t dispatch(struct sim_live *l, unsigned c, uint32_t nr, uint8_t *payload, uint32_t *rlen,
			int *efd)
{
	struct sim_live_conn *cn = &l->conns[c];
	*rlen = 0;
	if (nr == HSM_CREATE_VM) {
		int32_t st = do_create_vm(l, c, payload, efd);
		if (st == 0)
			*rlen = sizeof(struct acrn_vm_creation);
		return st;
	}
	if (cn->vm < 0)
		return -EINVAL;       /* no VM yet: nothing to act on */
	unsigned v = (unsigned)cn->vm;
	struct vm *vm = vm_get(l->hv, (uint16_t)v);
	if (!vm)
		return -ENOENT;
	switch (nr) {
	case HSM_SET_MEMSEG:
	case HSM_UNSET_MEMSEG: {
		int32_t st = do_memseg(l, v, payload, nr == HSM_SET_MEMSEG);
		if (st == 0 && nr == HSM_SET_MEMSEG)
			*rlen = sizeof(struct live_memmap);
		return st;
	}
	case HSM_START_VM:
		return (int32_t)hc_vm(l, HC_START_VM, v, 0);
	case HSM_PAUSE_VM:
		return (int32_t)hc_vm(l, HC_PAUSE_VM, v, 0);
	case HSM_RESET_VM:
		return (int32_t)hc_vm(l, HC_RESET_VM, v, 0);
	case HSM_DESTROY_VM: {
		/* Core destroys only a VM that is not running: the HSM pauses it first. */
		if (vm->state == VM_STATE_RUNNING) {
			int64_t r = hc_vm(l, HC_PAUSE_VM, v, 0);
			if (r)
				return (int32_t)r;
		}
		int64_t r = hc_vm(l, HC_DESTROY_VM, v, 0);
		if (r == 0) {
			destroy_vm_state(l, v);
			l->vms[v].conn = -1;
			cn->vm = -1;
			cn->client = false;
		}
		return (int32_t)r;
	}
	case HSM_CREATE_IOREQ_CLIENT:
		if (cn->client)
			return -EEXIST;
		cn->client = true;
		return 0;
	case HSM_DESTROY_IOREQ_CLIENT:
		if (!cn->client)
			return -EINVAL;
		cn->client = false;
		return 0;
	case HSM_NOTIFY_REQUEST_FINISH: {
		struct live_notify n;
		memcpy(&n, payload, sizeof(n));
		/* The HSM checks the VM is the caller's; core checks the vCPU and the slot. */
		if (n.vmid != v || n.reserved)
			return -EINVAL;
		/* What the device model wrote, for a recording: the replay writes it without one. */
		struct sim_live_vm *lv = &l->vms[v];
		if (sim_rec_active() && n.vcpu < IOREQ_SLOTS && lv->page_gpa) {
			uint32_t state;
			uint64_t value;
			const uint8_t *slot = sos_mem(l, lv->page_gpa + n.vcpu * IOREQ_SLOT_SIZE);
			memcpy(&state, slot + IOREQ_OFF_STATE, 4);
			memcpy(&value, slot + IOREQ_OFF_VALUE, 8);
			sim_rec_complete((uint16_t)v, (uint16_t)n.vcpu, state, value);
		}
		return (int32_t)hc_vm(l, HC_NOTIFY_REQUEST_FINISH, v, n.vcpu);
	}
	case HSM_SET_VCPU_REGS: {
		struct acrn_vcpu_regs regs;
		memset(&regs, LIVE_REGS_TAIL_FILL, sizeof(regs));
		memcpy(&regs, payload, IOC_SIZE(HSM_SET_VCPU_REGS));
		return (int32_t)hc_param(l, HC_SET_VCPU_REGS, v, true, &regs, sizeof(regs));
	}
	case HSM_INJECT_MSI:
		return (int32_t)hc_param(l, SIM_LIVE_HC_INJECT_MSI, v, true, payload, 16);
	case HSM_SET_IRQLINE: {
		uint64_t ops;
		memcpy(&ops, payload, sizeof(ops));
		return (int32_t)hc_vm(l, SIM_LIVE_HC_SET_IRQLINE, v, ops);
	}
	default:
		return -ENOTTY;
	}
}

/* The peer is gone: say which requests its VM leaves outstanding. */
static void hang_up(struct sim_live *l, unsigned c)
{
	struct sim_live_conn *cn = &l->conns[c];
	if (cn->vm >= 0) {
		struct vm *vm = vm_get(l->hv, (uint16_t)cn->vm);
		l->hangups++;
		report(l, "vm%d: the device model hung up", cn->vm);
		for (unsigned i = 0; vm && i < vm->config.vcpu_count; i++) {
			const struct vcpu *u = &vm->vcpus[i];
			if (u->io.active)
				report(l, "vm%d vcpu%u: request left outstanding: type %u dir %u addr 0x%llx size %u",
				       cn->vm, i, u->io.req.type, u->io.req.dir,
				       (unsigned long long)u->io.req.addr, u->io.req.size);
		}
	}
	conn_close(l, c);
}

static void serve_one(struct sim_live *l, unsigned c)
{
	struct sim_live_conn *cn = &l->conns[c];
	struct tern_hsm_msg m;
	uint8_t payload[MSG_MAX_PAYLOAD];
	if (read_full(cn->fd, &m, sizeof(m))) {
		hang_up(l, c);
		return;
	}
	l->request_ns = now_ns();
	/* A length the request number does not give is a broken peer: the HSM hangs up. */
	if (m.len > sizeof(payload) || m.len != IOC_SIZE(m.nr) || read_full(cn->fd, payload, m.len)) {
		report(l, "device model sent a malformed request (nr 0x%x, len %u): hanging up", m.nr, m.len);
		hang_up(l, c);
		return;
	}
	uint32_t rlen = 0;
	int efd = -1;
	int32_t st = dispatch(l, c, m.nr, payload, &rlen, &efd);
	if (st > 0 || st < -4095)
		st = -EIO;
	int fds[TERN_HSM_NFDS];
	int nfds = 0;
	if (st == 0 && m.nr == HSM_CREATE_VM) {
		fds[TERN_HSM_FD_RAM] = sim_host_ram_fd();
		fds[TERN_HSM_FD_REQUEST] = efd;
		nfds = TERN_HSM_NFDS;
	}
	if (tern_hsm_send_reply(cn->fd, st, payload, st ? 0 : rlen, fds, nfds))
		hang_up(l, c);
}

/* A VM destroyed by anyone but its device model: its connection ends (tern-dm exits). */
static void reap(struct sim_live *l)
{
	for (unsigned c = 0; c < SIM_LIVE_MAX_CONNS; c++) {
		struct sim_live_conn *cn = &l->conns[c];
		if (cn->fd >= 0 && cn->vm >= 0 && l->hv->vms[cn->vm].state == VM_STATE_POWERED_OFF) {
			report(l, "vm%d destroyed: closing its device model's connection", cn->vm);
			destroy_vm_state(l, (unsigned)cn->vm);
			l->vms[cn->vm].conn = -1;
			conn_close(l, c);
		}
	}
}

int sim_live_adopt(struct sim_live *l, int fd)
{
	unsigned c = 0;
	while (c < SIM_LIVE_MAX_CONNS && l->conns[c].fd >= 0)
		c++;
	if (c == SIM_LIVE_MAX_CONNS) {
		report(l, "too many device models: refusing a connection");
		return -1;
	}
	l->conns[c].fd = fd;
	l->conns[c].vm = -1;
	l->conns[c].client = false;
	return 0;
}

static void accept_new(struct sim_live *l)
{
	for (;;) {
		int fd = accept4(l->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (sim_live_adopt(l, fd))
			close(fd);
	}
}

/* Wait up to timeout_ms for socket activity and serve it. */
static void serve(struct sim_live *l, int timeout_ms)
{
	struct pollfd pf[SIM_LIVE_MAX_CONNS + 1];
	unsigned idx[SIM_LIVE_MAX_CONNS];
	unsigned n = 0;
	pf[n].fd = l->listen_fd;
	pf[n++].events = POLLIN;
	for (unsigned c = 0; c < SIM_LIVE_MAX_CONNS; c++)
		if (l->conns[c].fd >= 0) {
			idx[n - 1] = c;
			pf[n].fd = l->conns[c].fd;
			pf[n++].events = POLLIN;
		}
	int ready = poll(pf, n, timeout_ms);
	if (ready <= 0)
		return;
	if (pf[0].revents)
		accept_new(l);
	for (unsigned i = 1; i < n; i++)
		if (pf[i].revents & (POLLIN | POLLHUP | POLLERR))
			serve_one(l, idx[i - 1]);
}

int sim_live_run(struct sim_live *l, bool (*done)(struct sim_live *l, void *arg), void *arg,
		 int timeout_ms, bool spin)
{
	long end = now_ms() + timeout_ms;
	unsigned spins = 0;
	for (;;) {
		sim_live_settle(l);
		reap(l);
		if (done(l, arg))
			return 0;
		/* Spinning (polling mode): the sockets are not on the request's path; look now and then. */
		if (spin && ++spins % SPIN_SERVE_EVERY)
			continue;
		long left = end - now_ms();
		if (left < 0)
			return -1;
		serve(l, spin ? 0 : (int)(left < 50 ? left : 50));
		/* A spinner that shares its CPU with the device model's spinner lets it run now and then. */
		if (spin)
			sched_yield();
	}
}

/* ---- for scenarios ------------------------------------------------------------------ */

struct vm *sim_live_vm(struct sim_live *l, const char *name)
{
	for (unsigned v = 0; v < TERN_MAX_VMS; v++) {
		struct vm *vm = &l->hv->vms[v];
		if (vm != l->sos && vm->state != VM_STATE_POWERED_OFF &&
		    strncmp(vm->config.name, name, TERN_VM_NAME_LEN) == 0)
			return vm;
	}
	return NULL;
}

uint8_t *sim_live_guest(struct sim_live *l, const struct vm *vm, uint64_t gpa, uint64_t len)
{
	const struct sim_live_vm *lv = &l->vms[vm->id];
	if (!lv->ram_len || gpa < lv->ram_gpa || len > lv->ram_len || gpa - lv->ram_gpa > lv->ram_len - len)
		return NULL;
	return sos_mem(l, lv->ram_sos_gpa + (gpa - lv->ram_gpa));
}

uint8_t *sim_live_page(struct sim_live *l, const struct vm *vm)
{
	const struct sim_live_vm *lv = &l->vms[vm->id];
	return lv->page_gpa ? sos_mem(l, lv->page_gpa) : NULL;
}

unsigned sim_live_conns(const struct sim_live *l)
{
	unsigned n = 0;
	for (unsigned c = 0; c < SIM_LIVE_MAX_CONNS; c++)
		n += l->conns[c].fd >= 0;
	return n;
}
