/* SPDX-License-Identifier: BSD-3-Clause */
#include "hypercall.h"
#include "vm_irq.h"
#include "err.h"
#include "guest_mem.h"
#include "event.h"
#include "exit_handlers.h"
#include "retire.h"
#include "ioreq.h"
#include "lib.h"
#include "log.h"
#include "platform.h"
#include "trace_bin.h"
#include "vm.h"
#include "x86.h"
#include "vm_memory.h"
#include "vm_mgr.h"
#include "atomic.h"
#include "request.h"

#define PARAM_ALIGN 8u           /* ACRN's parameter structures are __aligned(8) */

/* Segment access rights in the VMCS format (SDM Vol. 3C 24.4.1, Table 24-2). */
#define AR_FLAT_DATA   0xc093u   /* G, D/B, present, S, read/write accessed */
#define AR_REAL_DATA   0x0093u   /* present, S, read/write accessed */
#define AR_LDT         0x0082u   /* present, LDT */
#define AR_UNUSABLE    0x10000u
#define AR_DPL_MASK    0x0060u
#define FLAT_LIMIT     0xffffffffu
#define REAL_LIMIT     0xffffu

typedef int (*hc_handler)(struct vm *svm, uint64_t p1, uint64_t p2);

/* ---- parameter helpers ------------------------------------------------------- */

/* The VM a VM-id parameter names: never the Service VM itself. */
static int hc_target(struct vm *svm, uint64_t vmid, struct vm **out)
{
	int ret = -TERN_EINVAL;
	if (vmid < TERN_MAX_VMS) {
		*out = vm_get(svm->hv, (uint16_t)vmid);
		ret = !*out ? -TERN_ENOENT : (*out)->config.service_vm ? -TERN_EPERM : 0;
	}
	return ret;
}

/*
 * Read a parameter structure from the Service VM's memory, in pieces of at
 * most TRACE_BIN_MAX_DATA bytes: the most one recorded guest-memory read
 * holds, so that every hypercall's reads can be recorded and replayed.
 */
static int hc_read(struct vm *svm, uint64_t gpa, void *dst, size_t len)
{
	int ret = -TERN_EINVAL;
	if ((gpa & (PARAM_ALIGN - 1u)) == 0) {
		size_t done = 0;
		/* A range that wraps around the address space is not memory. */
		ret = gpa + len < gpa ? -TERN_EFAULT : 0;
		while (ret == 0 && done < len) {
			size_t n = len - done < TRACE_BIN_MAX_DATA ? len - done : TRACE_BIN_MAX_DATA;
			if (gmem_read(svm, gpa + done, (uint8_t *)dst + done, n) != 0)
				ret = -TERN_EFAULT;
			done += n;
		}
	}
	return ret;
}

/* ---- handlers: result failure first, one guard, one success path ------------ */

static int hc_get_api_version(struct vm *svm, uint64_t gpa, uint64_t unused)
{
	const struct hc_api_version v = { HC_API_VERSION_MAJOR, HC_API_VERSION_MINOR };
	int ret = -TERN_EINVAL;
	(void)unused;
	if ((gpa & (PARAM_ALIGN - 1u)) == 0)
		ret = gmem_write(svm, gpa, &v, sizeof(v)) ? -TERN_EFAULT : 0;
	return ret;
}

static unsigned popcount64(uint64_t x)
{
	unsigned n = 0;
	for (; x; x &= x - 1u)
		n++;
	return n;
}

/* The acrn_vm_creation fields as a vm_config, or -TERN_EINVAL. */
static int creation_config(const struct tern *hv, const struct acrn_vm_creation *cv,
			   struct vm_config *cfg)
{
	unsigned vcpus = popcount64(cv->cpu_affinity);
	size_t len = 0;
	while (len < ACRN_VM_NAME_LEN && cv->name[len])
		len++;
	if (cv->reserved0 || cv->reserved1 || (cv->vm_flag & ~ACRN_VM_FLAG_IO_COMPLETION_POLLING) || vcpus == 0 || vcpus > TERN_MAX_VCPUS ||
	    len == 0 || len == ACRN_VM_NAME_LEN)
		return -TERN_EINVAL;
	/* A pCPU the platform does not run vCPUs on could never run it (platform.h). */
	if (cv->cpu_affinity & ~plat_pcpu_mask())
		return -TERN_EINVAL;
	/* reset_on_triple_fault stays false: a triple fault stops a VM the
	 * Service VM made, and the Service VM decides (reset or destroy). */
	tern_memset(cfg, 0, sizeof(*cfg));
	tern_memcpy(cfg->name, cv->name, len);
	cfg->vcpu_count = (uint16_t)vcpus;
	cfg->cpu_affinity = cv->cpu_affinity;
	cfg->ioreq_polling = (cv->vm_flag & ACRN_VM_FLAG_IO_COMPLETION_POLLING) != 0;
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		if (hv->vms[i].state != VM_STATE_POWERED_OFF &&
		    tern_strncmp(hv->vms[i].config.name, cfg->name, TERN_VM_NAME_LEN) == 0)
			return -TERN_EEXIST;
	return 0;
}

static int hc_create_vm(struct vm *svm, uint64_t gpa, uint64_t unused)
{
	struct acrn_vm_creation cv;
	struct vm_config cfg;
	struct vm *vm = (struct vm *)0;
	int ret = hc_read(svm, gpa, &cv, sizeof(cv));
	(void)unused;
	if (ret == 0)
		ret = creation_config(svm->hv, &cv, &cfg);
	if (ret == 0)
		ret = vm_mgr_create(svm->hv, &cfg, &vm);
	if (ret == 0) {
		cv.vmid = vm->id;
		cv.vcpu_num = cfg.vcpu_count;
		if (gmem_write(svm, gpa, &cv, sizeof(cv)) != 0) {
			/* The caller cannot learn the id: undo, as if never made. */
			(void)vm_mgr_destroy(vm);
			ret = -TERN_EFAULT;
		}
	}
	return ret;
}

/* The lifecycle hypercalls: one target VM id in RDI, one VM-manager operation. */
static int hc_vm_op(struct vm *svm, uint64_t vmid, int (*op)(struct vm *vm))
{
	struct vm *t = (struct vm *)0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0)
		ret = op(t);
	return ret;
}

static int hc_destroy_vm(struct vm *svm, uint64_t vmid, uint64_t unused)
{
	(void)unused;
	return hc_vm_op(svm, vmid, vm_mgr_destroy);
}

static int hc_start_vm(struct vm *svm, uint64_t vmid, uint64_t unused)
{
	(void)unused;
	return hc_vm_op(svm, vmid, vm_mgr_start);
}

static int hc_pause_vm(struct vm *svm, uint64_t vmid, uint64_t unused)
{
	(void)unused;
	return hc_vm_op(svm, vmid, vm_mgr_pause);
}

static int hc_reset_vm(struct vm *svm, uint64_t vmid, uint64_t unused)
{
	(void)unused;
	return hc_vm_op(svm, vmid, vm_mgr_reset);
}

static int hc_resume_vm(struct vm *svm, uint64_t vmid, uint64_t unused)
{
	(void)unused;
	return hc_vm_op(svm, vmid, vm_mgr_resume);
}

/* A vCPU-id parameter, checked as the whole 64-bit value. */
static int vcpu_param(uint64_t vcpu_id, uint16_t *out)
{
	int ret = -TERN_EINVAL;
	if (vcpu_id < TERN_MAX_VCPUS) {
		*out = (uint16_t)vcpu_id;
		ret = 0;
	}
	return ret;
}

static int hc_pause_vcpu(struct vm *svm, uint64_t vmid, uint64_t vcpu_id)
{
	struct vm *t = (struct vm *)0;
	uint16_t id = 0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0)
		ret = vcpu_param(vcpu_id, &id);
	if (ret == 0)
		ret = vm_mgr_pause_vcpu(t, id);
	return ret;
}

static int hc_resume_vcpu(struct vm *svm, uint64_t vmid, uint64_t vcpu_id)
{
	struct vm *t = (struct vm *)0;
	uint16_t id = 0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0)
		ret = vcpu_param(vcpu_id, &id);
	if (ret == 0)
		ret = vm_mgr_resume_vcpu(t, id);
	return ret;
}

static int hc_get_vm_state(struct vm *svm, uint64_t vmid, uint64_t gpa)
{
	struct vm *t = (struct vm *)0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0 && (gpa & (PARAM_ALIGN - 1u)) != 0)
		ret = -TERN_EINVAL;
	if (ret == 0) {
		const struct tern_vm_state st = { (uint32_t)t->state, (uint32_t)t->stop_cause,
						  t->stop_detail, t->exit_status };
		ret = gmem_write(svm, gpa, &st, sizeof(st)) ? -TERN_EFAULT : 0;
	}
	return ret;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= b[i];
	return acc == 0;
}

static void data_segment(struct seg_desc *s, uint16_t sel, bool protected_mode, uint32_t dpl_bits)
{
	s->selector = sel;
	if (protected_mode) {
		/* Flat 4 GiB read/write data, as a direct kernel boot sets up. */
		s->base = 0;
		s->limit = FLAT_LIMIT;
		s->ar = AR_FLAT_DATA | dpl_bits;
	} else {
		/* Real mode: base = selector * 16 (SDM Vol. 3A 20.1.1). */
		s->base = (uint64_t)sel << 4;
		s->limit = REAL_LIMIT;
		s->ar = AR_REAL_DATA;
	}
}

int hypercall_regs_to_state(const struct acrn_regs *r, struct vcpu_load_state *st)
{
	static const enum vcpu_seg data_segs[] = { VCPU_SS, VCPU_DS, VCPU_ES, VCPU_FS, VCPU_GS };
	const uint16_t data_sels[] = { r->ss_sel, r->ds_sel, r->es_sel, r->fs_sel, r->gs_sel };
	/* acrn_gp_regs is in the instruction-encoding order, as enum vcpu_reg. */
	const uint64_t gpr[16] = {
		r->gprs.rax, r->gprs.rcx, r->gprs.rdx, r->gprs.rbx,
		r->gprs.rsp, r->gprs.rbp, r->gprs.rsi, r->gprs.rdi,
		r->gprs.r8, r->gprs.r9, r->gprs.r10, r->gprs.r11,
		r->gprs.r12, r->gprs.r13, r->gprs.r14, r->gprs.r15,
	};
	int ret = -TERN_EINVAL;

	if (all_zero(r->gdt.reserved, sizeof(r->gdt.reserved)) &&
	    all_zero(r->idt.reserved, sizeof(r->idt.reserved)) &&
	    all_zero(r->reserved_64, sizeof(r->reserved_64)) &&
	    all_zero(r->reserved_32, sizeof(r->reserved_32))) {
		/*
		 * reserved_16 is not checked: Linux's HSM (include/uapi/linux/
		 * acrn.h) copies only its 296-byte acrn_vcpu_regs, which ends at
		 * tr_sel, and passes that buffer's address; the 8 bytes after it
		 * are not the device model's and hold whatever the kernel left
		 * there. ACRN's hypervisor ignores them too.
		 */
		bool pm = (r->cr0 & X86_CR0_PE) != 0;
		/* What ACRN's layout does not carry keeps its reset value. */
		vm_mgr_reset_state(st, 0);
		for (unsigned i = 0; i < 16; i++)
			st->regs[VCPU_RAX + i] = gpr[i];
		st->regs[VCPU_RIP] = r->rip;
		st->regs[VCPU_RFLAGS] = r->rflags;
		st->regs[VCPU_CR0] = r->cr0;
		st->regs[VCPU_CR3] = r->cr3;
		st->regs[VCPU_CR4] = r->cr4;
		st->regs[VCPU_EFER] = r->ia32_efer;
		st->segs[VCPU_CS].selector = r->cs_sel;
		st->segs[VCPU_CS].base = r->cs_base;
		st->segs[VCPU_CS].limit = r->cs_limit;
		st->segs[VCPU_CS].ar = r->cs_ar;
		/* SS.DPL is the CPL (SDM Vol. 3C 24.4.1): it follows CS.DPL. */
		for (unsigned i = 0; i < TERN_ARRAY_SIZE(data_segs); i++)
			data_segment(&st->segs[data_segs[i]], data_sels[i], pm, r->cs_ar & AR_DPL_MASK);
		st->segs[VCPU_LDTR].selector = r->ldt_sel;
		/* A null LDTR is unusable (SDM Vol. 3C 24.4.1, AR bit 16). */
		st->segs[VCPU_LDTR].ar = r->ldt_sel ? AR_LDT : AR_UNUSABLE;
		st->segs[VCPU_TR].selector = r->tr_sel;
		st->gdtr_base = r->gdt.base;
		st->gdtr_limit = r->gdt.limit;
		st->idtr_base = r->idt.base;
		st->idtr_limit = r->idt.limit;
		ret = 0;
	}
	return ret;
}

static int hc_set_ioreq_buffer(struct vm *svm, uint64_t vmid, uint64_t gpa)
{
	struct acrn_ioreq_buffer buf;
	struct vm *t = (struct vm *)0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0 && t->state != VM_STATE_CREATED)
		ret = -TERN_EBUSY;
	if (ret == 0)
		ret = hc_read(svm, gpa, &buf, sizeof(buf));
	if (ret == 0)
		ret = ioreq_set_buffer(t, buf.ioreq_buf);
	return ret;
}

static int hc_notify_request_finish(struct vm *svm, uint64_t vmid, uint64_t vcpu_id)
{
	struct vm *t = (struct vm *)0;
	uint16_t id = 0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0)
		ret = vcpu_param(vcpu_id, &id);
	if (ret == 0)
		ret = ioreq_complete(t, id);
	return ret;
}

static int hc_set_vcpu_regs(struct vm *svm, uint64_t vmid, uint64_t gpa)
{
	struct acrn_vcpu_regs req;
	struct vcpu_load_state st;
	struct vm *t = (struct vm *)0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0)
		ret = hc_read(svm, gpa, &req, sizeof(req));
	if (ret == 0 && !all_zero(req.reserved, sizeof(req.reserved)))
		ret = -TERN_EINVAL;
	if (ret == 0)
		ret = hypercall_regs_to_state(&req.vcpu_regs, &st);
	if (ret == 0)
		ret = vm_mgr_set_vcpu_state(t, req.vcpu_id, &st);
	return ret;
}

/*
 * HC_VM_SET_MEMORY_REGIONS (core/vm_memory.c): RDI = GPA of struct
 * set_regions. ACRN's semantics: the request and every region are checked
 * first (a malformed one changes nothing), then applied in order; a region
 * that fails stops the rest and earlier ones stay applied.
 */
static int hc_set_memory_regions(struct vm *svm, uint64_t gpa, uint64_t unused)
{
	(void)unused;
	return vm_memory_set_regions(svm, gpa);
}

/* ACRN's acrn_msi_entry: the MSI's address and data as a device would write them. */
struct acrn_msi_entry {
	uint64_t msi_addr;
	uint64_t msi_data;
};

/* HC_INJECT_MSI: the device model's MSI into a User VM (vm_irq_msi). */
static int hc_inject_msi(struct vm *svm, uint64_t vmid, uint64_t gpa)
{
	struct acrn_msi_entry msi;
	struct vm *t = (struct vm *)0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0)
		ret = hc_read(svm, gpa, &msi, sizeof(msi));
	if (ret == 0)
		ret = vm_irq_msi(t, (struct vcpu *)0, msi.msi_addr, msi.msi_data);
	return ret;
}

/*
 * HC_SET_IRQLINE: RSI is ACRN's acrn_irqline_ops by value, u32 gsi in bits
 * 31:0 and u32 op in 63:32 (0 high, 1 low, 2 raising pulse, 3 falling
 * pulse), driving the User VM's IOAPIC pin gsi and, below 16, its PIC IRQ.
 */
static int hc_set_irqline(struct vm *svm, uint64_t vmid, uint64_t ops)
{
	struct vm *t = (struct vm *)0;
	int ret = hc_target(svm, vmid, &t);
	if (ret == 0)
		ret = vm_irq_set_gsi(t, (struct vcpu *)0, (uint32_t)ops, (uint32_t)(ops >> 32));
	return ret;
}

/* HC_SET_CALLBACK_VECTOR: the IOREQ upcall vector of the calling Service VM. */
static int hc_set_callback_vector(struct vm *svm, uint64_t vector, uint64_t unused)
{
	(void)unused;
	return ioreq_set_callback_vector(svm, vector);
}

/* Indexed by the id's low byte once the upper 56 bits matched HC_ID_PREFIX. */
static const hc_handler hc_table[HC_IDX_MASK + 1u] = {
	[HC_GET_API_VERSION & HC_IDX_MASK] = hc_get_api_version,
	[HC_SET_CALLBACK_VECTOR & HC_IDX_MASK] = hc_set_callback_vector,
	[HC_CREATE_VM & HC_IDX_MASK] = hc_create_vm,
	[HC_DESTROY_VM & HC_IDX_MASK] = hc_destroy_vm,
	[HC_START_VM & HC_IDX_MASK] = hc_start_vm,
	[HC_PAUSE_VM & HC_IDX_MASK] = hc_pause_vm,
	[HC_RESET_VM & HC_IDX_MASK] = hc_reset_vm,
	[HC_SET_VCPU_REGS & HC_IDX_MASK] = hc_set_vcpu_regs,
	[HC_INJECT_MSI & HC_IDX_MASK] = hc_inject_msi,
	[HC_SET_IRQLINE & HC_IDX_MASK] = hc_set_irqline,
	[HC_SET_IOREQ_BUFFER & HC_IDX_MASK] = hc_set_ioreq_buffer,
	[HC_NOTIFY_REQUEST_FINISH & HC_IDX_MASK] = hc_notify_request_finish,
	[HC_VM_SET_MEMORY_REGIONS & HC_IDX_MASK] = hc_set_memory_regions,
	[HC_TERN_RESUME_VM & HC_IDX_MASK] = hc_resume_vm,
	[HC_TERN_PAUSE_VCPU & HC_IDX_MASK] = hc_pause_vcpu,
	[HC_TERN_RESUME_VCPU & HC_IDX_MASK] = hc_resume_vcpu,
	[HC_TERN_GET_VM_STATE & HC_IDX_MASK] = hc_get_vm_state,
};

/* Inline in hypercall_exit: the call was a frame more on every hypercall. */
static inline int dispatch(struct vcpu *vcpu, uint64_t id, uint64_t p1, uint64_t p2)
{
	int ret = -TERN_ENOTTY;
	if ((id & ~HC_IDX_MASK) == HC_ID_PREFIX && hc_table[id & HC_IDX_MASK])
		ret = hc_table[id & HC_IDX_MASK](vcpu->vm, p1, p2);
	if (ret != 0)
		log_debug("vm%u vcpu%u: hypercall 0x%llx failed: %d", vcpu->vm->id, vcpu->id,
			  (unsigned long long)id, ret);
	return ret;
}

int hypercall_dispatch(struct vcpu *vcpu, uint64_t id, uint64_t p1, uint64_t p2)
{
	return dispatch(vcpu, id, p1, p2);
}

/*
 * VMCALL exits unconditionally in VMX non-root operation (SDM Vol. 3C
 * 25.1.2, "Instructions That Cause VM Exits Unconditionally"), whatever the
 * CPL or mode: the checks VMCALL makes in root operation are the
 * hypervisor's to make (see hypercall.h).
 */
/*
 * Synchronous hypercalls (docs/concurrency.md). A hypercall that changes
 * what a VM's vCPUs may hold (pause, EPT reductions of
 * HC_VM_SET_MEMORY_REGIONS) bumped that VM's sync generation: it returns to
 * the Service VM only once every vCPU has acknowledged, so that when the
 * Service VM sees the result no vCPU runs paused or uses a removed
 * translation. The caller's vCPU is parked for it (WAIT_SYNC) instead of the
 * hypercall spinning: on one pCPU the vCPUs it waits for must run to
 * acknowledge, and a hypercall never blocks its pCPU.
 */
static void wait_for_acks(struct vcpu *vcpu, uint32_t asked)
{
	struct tern *hv = vcpu->vm->hv;
	/* Only the VMs asked during the hypercall (tern.sync_vms), lowest id first. */
	for (; asked; asked &= asked - 1u) {
		struct vm *t = &hv->vms[__builtin_ctz(asked)]; /* TZCNT, no library call */
		uint32_t gen = atomic_load32(&t->sync_gen);
		if (t != vcpu->vm && t->state != VM_STATE_POWERED_OFF && !vm_synced(t, gen)) {
			vcpu_wait_sync(vcpu, t, gen, false);
			return;
		}
	}
}

/*
 * Destroy, reset and set-vCPU-regs refuse (-TERN_EAGAIN) while a vCPU of the
 * target is current on a pCPU (in guest mode or mid-exit): nothing may be
 * freed or rewritten under it. The VMCALL then has not retired: the caller
 * is parked until the target is quiescent and executes it again.
 */
static bool retry_when_quiescent(uint64_t id)
{
	return id == HC_DESTROY_VM || id == HC_RESET_VM || id == HC_SET_VCPU_REGS;
}

/*
 * VMCALL exits unconditionally in VMX non-root operation (SDM Vol. 3C
 * 25.1.2, "Instructions That Cause VM Exits Unconditionally"), whatever the
 * CPL or mode: the checks VMCALL makes in root operation are the
 * hypervisor's to make (see hypercall.h).
 */
enum exit_action hypercall_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	struct vm *vm = vcpu->vm;
	bool triple = false;

	if (!vm->config.service_vm || !vcpu_long_mode_64(vcpu)) {
		triple = vcpu_inject_ud(vcpu);
	} else if (vcpu_cpl(vcpu) != 0) {
		triple = vcpu_inject_gp0(vcpu);
	} else {
		/* ACRN's convention: the id in R8, the parameters in RDI and RSI. */
		vcpu_cache_regs(vcpu, (1u << VCPU_R8) | (1u << VCPU_RDI) | (1u << VCPU_RSI));
		uint64_t id = vcpu->regs[VCPU_R8], p1 = vcpu->regs[VCPU_RDI];
		uint64_t p2 = vcpu->regs[VCPU_RSI];
		/* Once: each atomic below makes the compiler load vm->hv again. */
		struct tern *hv = vm->hv;
		tern_lock(&hv->mgmt_lock);
		atomic_store32(&hv->sync_vms, 0);
		int ret = dispatch(vcpu, id, p1, p2);
		uint32_t asked = atomic_load32(&hv->sync_vms);
		tern_unlock(&hv->mgmt_lock);
		struct vm *t;
		if (ret == -TERN_EAGAIN && retry_when_quiescent(id) && p1 < TERN_MAX_VMS &&
		    (t = vm_get(hv, (uint16_t)p1)) != (struct vm *)0) {
			vcpu_wait_sync(vcpu, t, vm_sync_request(t, 0), true);
			return EXIT_ACTION_RESUME;
		}
		/* A negative errno, sign-extended to 64 bits, as ACRN returns it. */
		vcpu_set_reg(vcpu, VCPU_RAX, (uint64_t)(int64_t)ret);
		vcpu_retire_insn(vcpu, ex->instr_len);
		/* Only when the hypercall asked some VM's vCPUs to acknowledge. */
		if (asked)
			wait_for_acks(vcpu, asked);
	}
	return triple ? (enum exit_action)vm_triple_fault(vm) : EXIT_ACTION_RESUME;
}
