/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "sim.h"
#include "sim_tlb.h"
#include "sim_rec.h"
#include "ioreq_types.h"
#include "err.h"
#include "platform.h"
#include "replay.h"
#include "exit.h"
#include "exit_dispatch.h"
#include "request.h"
#include "scheduler.h"

struct sim sim;

/* A plausible Haswell-class host, fixed so that every run sees the same CPU. */
static const struct sim_cpuid_leaf default_host_cpuid[] = {
	{ 0x0, 0, { 0x0000000d, 0x756e6547, 0x6c65746e, 0x49656e69 } }, /* GenuineIntel */
	{ 0x1, 0, { 0x000306c3, 0x00100800, 0x7ffafbbf, 0xbfebfbff } },
	{ 0x4, 0, { 0x1c004121, 0x01c0003f, 0x0000003f, 0x00000000 } },
	{ 0x4, 1, { 0x1c004122, 0x01c0003f, 0x0000003f, 0x00000000 } },
	{ 0x4, 2, { 0x1c004143, 0x01c0003f, 0x000001ff, 0x00000000 } },
	{ 0x4, 3, { 0x1c03c163, 0x03c0003f, 0x00001fff, 0x00000006 } },
	{ 0x6, 0, { 0x00000077, 0x00000002, 0x00000009, 0x00000000 } },
	{ 0x7, 0, { 0x00000000, 0x000027ab, 0x00000000, 0x9c000000 } },
	{ 0xa, 0, { 0x07300403, 0x00000000, 0x00000000, 0x00000603 } },
	{ 0xb, 0, { 0x00000001, 0x00000002, 0x00000100, 0x00000000 } },
	{ 0xb, 1, { 0x00000004, 0x00000008, 0x00000201, 0x00000000 } },
	{ 0xd, 0, { 0x00000007, 0x00000340, 0x00000340, 0x00000000 } },
	{ 0xd, 1, { 0x00000001, 0x00000000, 0x00000000, 0x00000000 } },
	{ 0xd, 2, { 0x00000100, 0x00000240, 0x00000000, 0x00000000 } },
	{ 0x80000000, 0, { 0x80000008, 0, 0, 0 } },
	{ 0x80000001, 0, { 0x00000000, 0x00000000, 0x00000021, 0x2c100800 } },
	{ 0x80000002, 0, { 0x65746e49, 0x2952286c, 0x726f4320, 0x4d542865 } },
	{ 0x80000003, 0, { 0x37692029, 0x3737342d, 0x50432030, 0x20402055 } },
	{ 0x80000004, 0, { 0x30342e33, 0x007a4847, 0x00000000, 0x00000000 } },
	{ 0x80000006, 0, { 0x00000000, 0x00000000, 0x01006040, 0x00000000 } },
	{ 0x80000007, 0, { 0x00000000, 0x00000000, 0x00000000, 0x00000100 } },
	{ 0x80000008, 0, { 0x00003027, 0x00000000, 0x00000000, 0x00000000 } },
};

/*
 * Host RAM is made once per process and zeroed on every reset by punching
 * out what was carved (cheap: the fuzzers reset per input).
 */
static void host_ram_reset(uint8_t **ram, int *fd, uint64_t used)
{
	if (*ram == NULL) {
		*fd = memfd_create("tern-host-ram", MFD_CLOEXEC);
		if (*fd < 0 || ftruncate(*fd, (off_t)SIM_HOST_RAM_SIZE) != 0) {
			perror("tern-sim: host RAM (memfd)");
			abort();
		}
		void *p = mmap(NULL, SIM_HOST_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
		if (p == MAP_FAILED) {
			perror("tern-sim: host RAM (mmap)");
			abort();
		}
		*ram = p;
	} else if (used != 0 &&
		   fallocate(*fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)used) != 0) {
		memset(*ram, 0, used);
	}
}

void sim_reset(void)
{
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		if (sim.vms[i].pt_region)
			munmap(sim.vms[i].pt_region, (size_t)sim.vms[i].pt_pages * 4096);
	uint8_t *host_ram = sim.host_ram;
	int fd = sim.host_ram_fd;
	host_ram_reset(&host_ram, &fd, sim.host_ram_used);
	memset(&sim, 0, sizeof(sim));
	sim.host_ram = host_ram;
	sim.host_ram_fd = fd;
	memcpy(sim.host_cpuid, default_host_cpuid, sizeof(default_host_cpuid));
	sim.host_cpuid_count = sizeof(default_host_cpuid) / sizeof(default_host_cpuid[0]);
	sim.pt_pages_default = SIM_DEFAULT_PT_PAGES;
	sim.ept_vpid_cap = SIM_DEFAULT_EPT_VPID_CAP;
	sim.vmx_ctl_cap[0] = SIM_CAP_PIN;
	sim.vmx_ctl_cap[1] = SIM_CAP_PROC;
	sim.vmx_ctl_cap[2] = SIM_CAP_PROC2;
	sim.vmx_ctl_cap[3] = SIM_CAP_EXIT;
	sim.vmx_ctl_cap[4] = SIM_CAP_ENTRY;
	sim.pcpu_mask = (1ull << TERN_MAX_PCPUS) - 1;
	sim_tlb_reset();
}

uint64_t sim_host_ram_alloc(uint64_t size)
{
	uint64_t start = (sim.host_ram_used + SIM_RAM_ALIGN - 1) & ~(SIM_RAM_ALIGN - 1);
	if (sim.host_ram == NULL || size == 0 || size > SIM_HOST_RAM_SIZE - start)
		return 0;
	sim.host_ram_used = start + size;
	return SIM_HOST_RAM_HPA + start;
}

int sim_host_ram_fd(void)
{
	return sim.host_ram ? sim.host_ram_fd : -1;
}

int sim_vm_create(struct tern *hv, struct vm_config *cfg, struct vm **out)
{
	cfg->ram_hpa = 0;
	if (cfg->mem_size != 0 && (cfg->ram_hpa = sim_host_ram_alloc(cfg->mem_size)) == 0)
		return -TERN_ENOMEM;
	int ret = vm_create(hv, cfg, out);
	if (ret == 0) {
		struct sim_vm *s = &sim.vms[(*out)->id];
		s->ram_hpa = cfg->ram_hpa;
		s->ram_size = cfg->mem_size;
		s->ram = cfg->mem_size ? plat_hpa_map(cfg->ram_hpa, 1) : NULL;
	}
	return ret;
}

uint8_t *sim_vm_ram(uint16_t vm_id)
{
	return vm_id < TERN_MAX_VMS ? sim.vms[vm_id].ram : NULL;
}

int sim_vm_set_pt_pages(uint16_t vm_id, uint32_t npages)
{
	if (vm_id >= TERN_MAX_VMS)
		return -TERN_EINVAL;
	struct sim_vm *s = &sim.vms[vm_id];
	if (s->pt_region)
		munmap(s->pt_region, (size_t)s->pt_pages * 4096);
	s->pt_region = NULL;
	s->pt_pages = 0;
	if (!npages)
		return 0;
	/* Anonymous mappings are zeroed lazily: a large region costs nothing until used. */
	void *p = mmap(NULL, (size_t)npages * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -TERN_ENOMEM;
	s->pt_region = p;
	s->pt_pages = npages;
	/*
	 * Fake host-physical addresses: 32 GiB up, 1 GiB apart per VM, so they
	 * stay below a 36-bit MAXPHYADDR and never overlap guest RAM.
	 */
	s->pt_hpa = 0x800000000ull + (uint64_t)vm_id * 0x40000000ull;
	return 0;
}

const char *sim_console(uint16_t vm_id)
{
	struct sim_vm *s = &sim.vms[vm_id];
	s->console[s->console_len < SIM_CONSOLE_MAX ? s->console_len : SIM_CONSOLE_MAX - 1] = '\0';
	return s->console;
}

void sim_console_clear(uint16_t vm_id)
{
	sim.vms[vm_id].console_len = 0;
}

bool sim_log_contains(const char *needle)
{
	sim.log[sim.log_len < SIM_LOG_MAX ? sim.log_len : SIM_LOG_MAX - 1] = '\0';
	return strstr(sim.log, needle) != NULL;
}

void sim_log_clear(void)
{
	sim.log_len = 0;
	sim.log[0] = '\0';
}

void sim_set_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4])
{
	for (unsigned i = 0; i < sim.host_cpuid_count; i++) {
		if (sim.host_cpuid[i].leaf == leaf && sim.host_cpuid[i].subleaf == subleaf) {
			memcpy(sim.host_cpuid[i].regs, regs, 16);
			return;
		}
	}
	if (sim.host_cpuid_count < SIM_MAX_HOST_CPUID) {
		struct sim_cpuid_leaf *l = &sim.host_cpuid[sim.host_cpuid_count++];
		l->leaf = leaf;
		l->subleaf = subleaf;
		memcpy(l->regs, regs, 16);
	}
}

struct vm *sim_create_vm(struct tern *hv, const char *name, uint16_t vcpus, bool service,
			 uint64_t ram_size)
{
	struct vm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	cfg.vcpu_count = vcpus;
	cfg.service_vm = service;
	cfg.mem_size = ram_size;
	struct vm *vm = NULL;
	if (sim_vm_create(hv, &cfg, &vm))
		return NULL;
	return vm;
}

void sim_vcpu_flat_state(struct vcpu *vcpu, bool long_mode, unsigned cpl)
{
	vcpu_cache_reset(vcpu);
	for (int r = 0; r < VCPU_REG_COUNT; r++)
		vcpu_cache_fill(vcpu, (enum vcpu_reg)r, 0);
	vcpu_cache_fill(vcpu, VCPU_RFLAGS, 0x2);
	vcpu_cache_fill(vcpu, VCPU_CR0, 0x80000011ull | (long_mode ? 0 : 0));
	vcpu_cache_fill(vcpu, VCPU_CR4, long_mode ? 0x20 : 0);
	vcpu_cache_fill(vcpu, VCPU_EFER, long_mode ? 0x500 : 0);
	/* Flat code/data segments; L=1 for 64-bit code, D=1 otherwise. */
	uint32_t dpl = (cpl & 3u) << 5;
	struct seg_desc cs = { .selector = (uint16_t)(0x8 | cpl), .base = 0, .limit = 0xffffffff,
			       .ar = (long_mode ? 0xa09bu : 0xc09bu) | dpl };
	struct seg_desc ds = { .selector = (uint16_t)(0x10 | cpl), .base = 0, .limit = 0xffffffff,
			       .ar = 0xc093u | dpl };
	for (int s = 0; s < VCPU_SEG_COUNT; s++)
		vcpu_cache_fill_seg(vcpu, (enum vcpu_seg)s, s == VCPU_CS ? &cs : &ds);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(vcpu);
	memcpy(hw->regs, vcpu->regs, sizeof(hw->regs));
	memcpy(hw->segs, vcpu->segs, sizeof(hw->segs));
	sim_vcpu_begin(vcpu);
}

struct sim_vcpu_hw *sim_vcpu_hw(const struct vcpu *vcpu)
{
	return &sim.vms[vcpu->vm->id].hw[vcpu->id];
}

void sim_vcpu_begin(struct vcpu *vcpu)
{
	sim.this_cpu = vcpu->pcpu;
	sim.current[vcpu->pcpu] = vcpu;
}

enum exit_action sim_vcpu_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	sim_vcpu_begin(vcpu);
	vcpu_leave_guest(vcpu);
	vcpu_cache_reset(vcpu);
	sim_rec_exit_begin(vcpu, ex);
	return vcpu_handle_exit(vcpu, ex);
}

static void load_pending_state(struct vcpu *vcpu, struct sim_vcpu_hw *hw)
{
	if (vcpu->load_pending) {
		memcpy(hw->regs, vcpu->load.regs, sizeof(hw->regs));
		memcpy(hw->segs, vcpu->load.segs, sizeof(hw->segs));
		vcpu->load_pending = false;
	}
}

bool sim_vcpu_enter(struct vcpu *vcpu)
{
	struct sim_vcpu_hw *hw = sim_vcpu_hw(vcpu);
	sim_vcpu_begin(vcpu);
	/*
	 * A whole state the VM manager handed over (reset, HC_SET_VCPU_REGS)
	 * goes in first, before the requests and the dirty registers, as
	 * platform/x86 loads it (run.c prepare_entry, load_pending_state);
	 * again after the requests, which may hand over one of their own (the
	 * SIPI that starts an AP whose INIT came on an earlier pass).
	 */
	load_pending_state(vcpu, hw);
	vcpu_pre_entry(vcpu);
	sim_rec_pre_entry(vcpu);
	if (!vcpu_can_enter(vcpu))
		return false;
	load_pending_state(vcpu, hw);
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++)
		if (vcpu->reg_dirty & (1u << r))
			hw->regs[r] = vcpu->regs[r];
	vcpu->reg_dirty = 0;
	hw->injected = vcpu->event;
	vcpu->event.valid = false;
	if (!vcpu_enter_guest(vcpu))
		return false;
	hw->entries++;
	return true;
}

struct vcpu *sim_schedule(struct tern *hv, uint16_t cpu)
{
	sim.this_cpu = cpu;
	/* Each round either enters or handles a vCPU's requests: bounded. */
	for (unsigned round = 0; round <= TERN_MAX_VMS * TERN_MAX_VCPUS; round++) {
		struct vcpu *v = sched_next(hv, cpu);
		sim.current[cpu] = v;
		sim_rec_sched(cpu, v);
		if (!v || sim_vcpu_enter(v))
			return v;
	}
	return NULL;
}

/* ---- core/platform.h ---------------------------------------------------- */

static struct sim_vm *svm(struct vm *vm)
{
	return &sim.vms[vm->id];
}

static void replay_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void replay_error(const char *fmt, ...)
{
	if (!sim.replay || sim.replay->error[0])
		return; /* the first problem is the one reported */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sim.replay->error, sizeof(sim.replay->error), fmt, ap);
	va_end(ap);
}

void *plat_hpa_map(uint64_t hpa, size_t len)
{
	/* Only what was carved: the rest of the region is absent memory. */
	if (sim.host_ram == NULL || hpa < SIM_HOST_RAM_HPA || len > sim.host_ram_used ||
	    hpa - SIM_HOST_RAM_HPA > sim.host_ram_used - len)
		return NULL;
	return sim.host_ram + (hpa - SIM_HOST_RAM_HPA);
}

/* A replay: each access must be the trace's next read, or a write it collects. */
static void __attribute__((noinline)) replay_gmem(struct sim_replay_exit *r, uint64_t gpa,
						  const void *data, size_t len, enum gmem_trace_op op)
{
	if (op == GMEM_TRACE_WRITE) {
		if (r->nwrites == REPLAY_MAX_WRITES || len > TRACE_MAX_MEM) {
			r->overflow_writes = true;
			return;
		}
		if (r->nwrites == r->cap_writes) {
			unsigned cap = r->cap_writes ? r->cap_writes * 2 : 8;
			struct sim_mem_access *nw = realloc(r->writes, cap * sizeof(*nw));
			if (!nw) {
				r->overflow_writes = true;
				return;
			}
			r->writes = nw;
			r->cap_writes = cap;
		}
		struct sim_mem_access *w = &r->writes[r->nwrites++];
		w->gpa = gpa;
		w->len = (uint32_t)len;
		memcpy(w->data, data, len);
		return;
	}
	const struct trace_exit *te = r->te;
	if (r->next_read >= te->nreads) {
		replay_error("guest read gpa=0x%llx len=%llu is not in the trace",
			     (unsigned long long)gpa, (unsigned long long)len);
		return;
	}
	const struct trace_mem *m = &te->reads[r->next_read++];
	if (m->gpa != gpa || m->len != len)
		replay_error("guest read gpa=0x%llx len=%llu differs from the trace's next read",
			     (unsigned long long)gpa, (unsigned long long)len);
	else if (m->fault != (op == GMEM_TRACE_READ_FAULT))
		replay_error("guest read gpa=0x%llx len=%llu %s, the trace's %s",
			     (unsigned long long)gpa, (unsigned long long)len,
			     m->fault ? "succeeded" : "failed", m->fault ? "failed" : "succeeded");
	else if (!m->fault && memcmp(m->data, data, len) != 0)
		replay_error("guest read gpa=0x%llx len=%llu returned other data than the trace's",
			     (unsigned long long)gpa, (unsigned long long)len);
}

static void __attribute__((noinline)) trace_gmem_on(struct vm *vm, uint64_t gpa, const void *data,
						    size_t len, enum gmem_trace_op op)
{
	if (op == GMEM_TRACE_READ && sim.gmem_read_hook)
		sim.gmem_read_hook(vm, gpa, len);
	if (sim_rec_on)
		sim_rec_gmem(gpa, data, len, op);
	if (sim.replay)
		replay_gmem(sim.replay, gpa, data, len, op);
}

/* The hooks, the recorder, the replay: tested first, most runs have none (no frame then). */
void plat_trace_gmem(struct vm *vm, uint64_t gpa, const void *data, size_t len,
		     enum gmem_trace_op op)
{
	if (sim.gmem_read_hook || sim_rec_on || sim.replay)
		trace_gmem_on(vm, gpa, data, len, op);
}

/*
 * As strict as VMREAD, which reads only the current VMCS: a fetch for a
 * vCPU this pCPU is not handling is a bug in core, reported and fatal.
 */
static void check_current(const struct vcpu *vcpu, const char *what)
{
	const struct vcpu *cur = sim.current[sim.this_cpu];
	if (cur == vcpu)
		return;
	char handles[48] = "no vCPU";
	if (cur)
		snprintf(handles, sizeof(handles), "vm%u vcpu%u", cur->vm->id, cur->id);
	fprintf(stderr,
		"sim: %s for vm%u vcpu%u on pCPU %u, which handles %s: "
		"a VMREAD reads only the current VMCS\n",
		what, vcpu->vm->id, vcpu->id, sim.this_cpu, handles);
	abort();
}

/*
 * INVEPT and INVVPID take their EPTP / VPID as operands and need no current
 * VMCS, but they invalidate only the executing processor's TLB (SDM Vol. 3C
 * 29.4.3.1): one for a vCPU that does not run on this pCPU is a bug in core.
 */
static void check_own_pcpu(const struct vcpu *vcpu, const char *what)
{
	if (vcpu->pcpu == sim.this_cpu)
		return;
	fprintf(stderr, "sim: %s for vm%u vcpu%u (pCPU %u) on pCPU %u: "
		"it invalidates only the executing CPU's TLB\n",
		what, vcpu->vm->id, vcpu->id, vcpu->pcpu, sim.this_cpu);
	abort();
}

uint64_t plat_vcpu_fetch_reg(struct vcpu *vcpu, enum vcpu_reg reg)
{
	struct sim_replay_exit *r = sim.replay;
	check_current(vcpu, "plat_vcpu_fetch_reg");
	sim.fetches++;
	if (r) {
		if (r->te->reg_mask & (1u << reg))
			return r->te->regs[reg];
		replay_error("handler read %s, which the trace's state does not give",
			     trace_reg_name(reg));
		return 0;
	}
	/* Outside a replay: the fake's hardware state (0 unless a test set it). */
	uint64_t v = sim_vcpu_hw(vcpu)->regs[reg];
	sim_rec_reg(reg, v);
	return v;
}

void plat_vcpu_fetch_seg(struct vcpu *vcpu, enum vcpu_seg seg, struct seg_desc *out)
{
	struct sim_replay_exit *r = sim.replay;
	check_current(vcpu, "plat_vcpu_fetch_seg");
	sim.fetches++;
	memset(out, 0, sizeof(*out));
	if (r) {
		if (r->te->seg_mask & (1u << seg)) {
			*out = r->te->segs[seg];
			return;
		}
		replay_error("handler read segment %s, which the trace's state does not give",
			     trace_seg_name(seg));
		return;
	}
	*out = sim_vcpu_hw(vcpu)->segs[seg];
	sim_rec_seg(seg, out);
}

int plat_pt_region(struct vm *vm, void **base, uint64_t *base_hpa, uint32_t *npages)
{
	struct sim_vm *s = svm(vm);
	/* A new VM in this slot (vm_create): RAM only if sim_vm_create gives it some. */
	s->ram = NULL;
	s->ram_size = 0;
	s->ram_hpa = 0;
	if (!s->pt_region && sim.pt_pages_default) {
		int ret = sim_vm_set_pt_pages(vm->id, sim.pt_pages_default);
		if (ret)
			return ret;
	}
	if (!s->pt_region)
		return -TERN_ENOMEM;
	*base = s->pt_region;
	*base_hpa = s->pt_hpa;
	*npages = s->pt_pages;
	return 0;
}

/*
 * The APIC-access page: a fake host-physical page per VM slot, 31 GiB up
 * (below the page-table regions, above host RAM), that nothing backs: the
 * fake CPU never touches it (a trace says what an access to the guest's
 * xAPIC page did), and core never reads it (no plat_hpa_map succeeds there).
 */
#define SIM_APIC_ACCESS_HPA 0x7c0000000ull

uint64_t plat_apic_access_page(struct vm *vm)
{
	if (sim.apic_access_fixed)
		return sim.apic_access_hpa;
	return SIM_APIC_ACCESS_HPA + (uint64_t)(vm->id % TERN_MAX_VMS) * 4096u;
}

void plat_ept_invalidate(struct vcpu *vcpu)
{
	check_own_pcpu(vcpu, "INVEPT");
	sim.vms[vcpu->vm->id].ept_invalidations[vcpu->id]++;
	sim_tlb_flush(vcpu);
}

/* The simulated TLB is tagged by vCPU: a VPID invalidation drops this vCPU's entries. */
void plat_vpid_invalidate(struct vcpu *vcpu)
{
	check_own_pcpu(vcpu, "INVVPID");
	sim.vms[vcpu->vm->id].vpid_invalidations[vcpu->id]++;
	sim_tlb_flush(vcpu);
}

uint16_t plat_cpu_id(void)
{
	return sim.this_cpu;
}

uint64_t plat_pcpu_mask(void)
{
	return sim.pcpu_mask;
}

void plat_kick_pcpu(uint16_t cpu)
{
	sim_rec_kick(cpu, sim.this_cpu);
	if (sim.kick_hook)
		sim.kick_hook(cpu);
	/* The own pCPU is in root mode: nothing to do (platform.h). */
	if (cpu < TERN_MAX_PCPUS && cpu != sim.this_cpu)
		sim.kicks[cpu]++;
}

/* The simulator holds nothing per pCPU for a vCPU (no VMCS): nothing to let go. */
void plat_vm_retire(struct vm *vm)
{
	(void)vm;
}

uint64_t plat_vmx_ept_vpid_cap(void)
{
	return sim.ept_vpid_cap;
}

uint64_t plat_vmx_ctl_cap(unsigned field)
{
	return field < 5 ? sim.vmx_ctl_cap[field] : 0;
}

uint64_t plat_host_tsc(void)
{
	struct sim_replay_exit *r = sim.replay;
	if (r) {
		if (r->te->have_tsc)
			return r->te->host_tsc;
		replay_error("handler read the host TSC, which the trace's state does not give");
		return 0;
	}
	sim_rec_host_tsc(sim.host_tsc);
	return sim.host_tsc;
}

uint64_t plat_clock_ns(void)
{
	return sim.clock_ns;
}

void plat_log(enum log_level level, const char *line)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	const char *lvl = (unsigned)level < 4 ? names[level] : "?";
	int n = snprintf(sim.log + sim.log_len, SIM_LOG_MAX - sim.log_len, "%s: %s\n", lvl, line);
	if (n > 0)
		sim.log_len += (size_t)n < SIM_LOG_MAX - sim.log_len ? (size_t)n
								 : SIM_LOG_MAX - sim.log_len - 1;
	if (sim.log_echo)
		fprintf(stderr, "tern: %s: %s\n", lvl, line);
}

void plat_console_putc(struct vm *vm, uint8_t c)
{
	struct sim_vm *s = svm(vm);
	sim_rec_console(c);
	if (s->console_len < SIM_CONSOLE_MAX - 1)
		s->console[s->console_len++] = (char)c;
	if (sim.console_echo)
		putchar(c);
}

void plat_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	for (unsigned i = 0; i < sim.host_cpuid_count; i++) {
		const struct sim_cpuid_leaf *l = &sim.host_cpuid[i];
		if (l->leaf == leaf && l->subleaf == subleaf) {
			memcpy(out, l->regs, 16);
			sim_rec_host_cpuid(leaf, subleaf, out);
			return;
		}
	}
	memset(out, 0, 16);
	sim_rec_host_cpuid(leaf, subleaf, out);
}

static void __attribute__((noinline)) trace_request_on(const struct vcpu *target, uint32_t req)
{
	if (sim.request_hook)
		sim.request_hook(target, req);
	if (sim_rec_on)
		sim_rec_request(target, req, sim.this_cpu);
}

/* As plat_trace_gmem: no frame when neither a hook nor the recorder is on. */
void plat_trace_request(const struct vcpu *target, uint32_t req)
{
	if (sim.request_hook || sim_rec_on)
		trace_request_on(target, req);
}

void plat_trace_polled_complete(const struct vcpu *vcpu, uint64_t value)
{
	/* A replay applied it from the trace's complete record already. */
	sim_rec_complete(vcpu->vm->id, vcpu->id, IOREQ_COMPLETE, value);
}

static void __attribute__((noinline)) trace_exit_on(struct vcpu *vcpu, const struct exit_record *ex,
						    int action)
{
	if (sim.trace_hook)
		sim.trace_hook(vcpu, ex, action);
	if (sim_rec_on)
		sim_rec_exit_end(vcpu, action);
}

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	if (sim.trace_hook || sim_rec_on)
		trace_exit_on(vcpu, ex, action);
}
