/* SPDX-License-Identifier: BSD-3-Clause */
#include "vm_mgr.h"
#include "vm_irq.h"
#include "vm_memory.h"
#include "err.h"
#include "lib.h"
#include "ioreq.h"
#include "log.h"
#include "vm_memory.h"
#include "x86.h"
#include "atomic.h"
#include "sched_slice.h"
#include "request.h"

/* ---- the architectural reset state (SDM Vol. 3A 9.1.1, Table 9-1) ---------- */

#define RESET_RIP        0xfff0ull
#define RESET_CS_SEL     0xf000u
#define RESET_CS_BASE    0xffff0000ull
#define RESET_SEG_LIMIT  0xffffu
#define RESET_CR0        (X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)  /* 0x60000010 */
#define RESET_DR7        0x400ull
#define RESET_XCR0       0x1ull   /* x87 state is always enabled (SDM Vol. 1 13.3) */
#define RESET_PAT        0x0007040600070406ull  /* SDM Vol. 3A 11.12.4 */

/* Access rights in the VMCS format (SDM Vol. 3C 24.4.1, Table 24-2). */
#define AR_TYPE_MASK     0xfu
#define AR_TYPE_ACCESSED 0x1u
#define AR_TYPE_CODE     0x8u
#define AR_S             (1u << 4)
#define AR_P             (1u << 7)
#define AR_L             (1u << 13)
#define AR_DB            (1u << 14)
#define AR_G             (1u << 15)
#define AR_UNUSABLE      (1u << 16)
#define AR_RESERVED      0xfffe0f00u   /* bits 11:8 and 31:17 */
#define AR_CODE_RESET    (AR_P | AR_S | 0xbu)   /* present, execute/read, accessed */
#define AR_DATA_RESET    (AR_P | AR_S | 0x3u)   /* present, read/write, accessed */
#define AR_LDT           (AR_P | 0x2u)          /* present, LDT */
#define AR_TSS_BUSY      (AR_P | 0xbu)          /* present, busy 32/64-bit TSS */

void vm_mgr_reset_state(struct vcpu_load_state *st, uint32_t signature)
{
	tern_memset(st, 0, sizeof(*st));
	st->regs[VCPU_RDX] = signature;
	st->regs[VCPU_RIP] = RESET_RIP;
	st->regs[VCPU_RFLAGS] = X86_RFLAGS_FIXED1;
	st->regs[VCPU_CR0] = RESET_CR0;
	st->regs[VCPU_DR7] = RESET_DR7;
	st->regs[VCPU_XCR0] = RESET_XCR0;
	st->regs[VCPU_PAT] = RESET_PAT;
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++) {
		st->segs[s].limit = RESET_SEG_LIMIT;
		st->segs[s].ar = AR_DATA_RESET;
	}
	st->segs[VCPU_CS].selector = RESET_CS_SEL;
	st->segs[VCPU_CS].base = RESET_CS_BASE;
	st->segs[VCPU_CS].ar = AR_CODE_RESET;
	st->segs[VCPU_LDTR].ar = AR_LDT;
	/* Table 9-1 says "present, R/W"; VM entry needs a busy TSS type (26.3.1.2). */
	st->segs[VCPU_TR].ar = AR_TSS_BUSY;
	st->gdtr_limit = RESET_SEG_LIMIT;
	st->idtr_limit = RESET_SEG_LIMIT;
}

/* ---- the Multiboot hand-off (Multiboot 0.6.96, 3.2) ------------------------- */

#define MB_CS_SEL        0x08u
#define MB_DS_SEL        0x10u
#define MB_FLAT_LIMIT    0xffffffffu
#define AR_CODE32_FLAT   (AR_G | AR_DB | AR_CODE_RESET)   /* 0xc09b */
#define AR_DATA32_FLAT   (AR_G | AR_DB | AR_DATA_RESET)   /* 0xc093 */
#define MB_IDTR_LIMIT    0x3ffu

void vm_mgr_multiboot_state(struct vcpu_load_state *st, uint32_t entry, uint32_t magic,
			    uint32_t info)
{
	vm_mgr_reset_state(st, 0);
	st->regs[VCPU_RAX] = magic;
	st->regs[VCPU_RBX] = info;
	st->regs[VCPU_RIP] = entry;
	/* Protected mode, paging off; caches enabled (CD/NW clear) as a BIOS
	 * leaves them, ET set as on every processor since the 486. */
	st->regs[VCPU_CR0] = X86_CR0_PE | X86_CR0_ET;
	for (unsigned s = VCPU_ES; s <= VCPU_GS; s++) {
		bool code = s == VCPU_CS;
		st->segs[s] = (struct seg_desc){ .selector = code ? MB_CS_SEL : MB_DS_SEL, .base = 0,
						 .limit = MB_FLAT_LIMIT,
						 .ar = code ? AR_CODE32_FLAT : AR_DATA32_FLAT };
	}
	st->segs[VCPU_LDTR] = (struct seg_desc){ .ar = AR_UNUSABLE };
	st->segs[VCPU_TR] = (struct seg_desc){ .limit = RESET_SEG_LIMIT, .ar = AR_TSS_BUSY };
	st->gdtr_base = 0;
	st->gdtr_limit = RESET_SEG_LIMIT;
	st->idtr_base = 0;
	st->idtr_limit = MB_IDTR_LIMIT;
}

/* ---- checks of a register state -------------------------------------------- */

/* CR4 bits a guest may hold: the defined ones (SDM Vol. 3A 2.5) less VMXE
 * and SMXE, which Tern hides (CPUID.1:ECX.VMX/SMX = 0). */
#define CR4_ALLOWED (X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | \
		     X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR | \
		     X86_CR4_OSXMMEXCPT | X86_CR4_UMIP | X86_CR4_LA57 | X86_CR4_FSGSBASE | \
		     X86_CR4_PCIDE | X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE | \
		     X86_CR4_CET | X86_CR4_PKS)
#define EFER_ALLOWED (X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)
/* RFLAGS bits 63:22, 15, 5 and 3 are reserved (SDM Vol. 3C 26.3.1.4). */
#define RFLAGS_RESERVED (~0x3fffffull | (1ull << 15) | (1ull << 5) | (1ull << 3))
/* CR3 bits past the widest physical-address width (52, SDM Vol. 3A 4.1.4). */
#define CR3_RESERVED (~0ull << 52)
#define SEL_TI 0x4u
/* XCR0 (SDM Vol. 1 13.3): x87 always on; AVX needs SSE. The platform loads
 * it with XSETBV, which faults on anything else. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)

static bool xcr0_ok(uint64_t xcr0)
{
	return (xcr0 & XCR0_X87) && (!(xcr0 & XCR0_AVX) || (xcr0 & XCR0_SSE));
}

static bool cr_efer_ok(const struct vcpu_load_state *st)
{
	uint64_t cr0 = st->regs[VCPU_CR0], cr4 = st->regs[VCPU_CR4], efer = st->regs[VCPU_EFER];
	bool paging = (cr0 & X86_CR0_PG) != 0;
	bool lme = (efer & X86_EFER_LME) != 0, lma = (efer & X86_EFER_LMA) != 0;

	/* Only bits that exist and a guest may hold. */
	if ((cr0 & ~X86_CR0_DEFINED) || (cr4 & ~CR4_ALLOWED) || (efer & ~EFER_ALLOWED))
		return false;
	/* MOV to CR0 (SDM Vol. 2B): PG without PE, or NW without CD, is #GP. */
	if ((paging && !(cr0 & X86_CR0_PE)) || ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD)))
		return false;
	/* SDM Vol. 3C 26.3.1.1: LMA is "IA-32e mode guest"; with paging on LME
	 * must equal LMA, and an IA-32e guest needs CR0.PG and CR4.PAE. */
	if (lma && (!paging || !(cr4 & X86_CR4_PAE)))
		return false;
	if (paging && lme != lma)
		return false;
	return (st->regs[VCPU_CR3] & CR3_RESERVED) == 0;
}

/* CS as SDM Vol. 3C 26.3.1.2 requires it on VM entry. */
static bool cs_ok(const struct vcpu_load_state *st)
{
	const struct seg_desc *cs = &st->segs[VCPU_CS];
	unsigned type = cs->ar & AR_TYPE_MASK;
	bool code = (type & AR_TYPE_CODE) != 0;
	bool real = (st->regs[VCPU_CR0] & X86_CR0_PE) == 0;

	if ((cs->ar & (AR_RESERVED | AR_UNUSABLE)) || !(cs->ar & AR_P) || !(cs->ar & AR_S))
		return false;
	/* Accessed code, or (unrestricted guest, real mode) accessed read/write data. */
	if (!(type & AR_TYPE_ACCESSED) || (!code && !(real && type == 0x3u)))
		return false;
	/* Granularity must agree with the limit. */
	if ((cs->limit & 0xfffu) != 0xfffu && (cs->ar & AR_G))
		return false;
	if ((cs->limit & 0xfff00000u) != 0 && !(cs->ar & AR_G))
		return false;
	/* 64-bit code (L=1) needs IA-32e mode and D=0. */
	if ((cs->ar & AR_L) && (!(st->regs[VCPU_EFER] & X86_EFER_LMA) || (cs->ar & AR_DB)))
		return false;
	return true;
}

int vm_mgr_check_load_state(const struct vcpu_load_state *st)
{
	uint64_t rflags = st->regs[VCPU_RFLAGS];
	if ((rflags & RFLAGS_RESERVED) || !(rflags & X86_RFLAGS_FIXED1))
		return -TERN_EINVAL;
	if (!cr_efer_ok(st) || !cs_ok(st) || !xcr0_ok(st->regs[VCPU_XCR0]))
		return -TERN_EINVAL;
	/* TR and LDTR must name the GDT (TI = 0), SDM Vol. 3C 26.3.1.2. */
	if ((st->segs[VCPU_TR].selector & SEL_TI) || (st->segs[VCPU_LDTR].selector & SEL_TI))
		return -TERN_EINVAL;
	return 0;
}

/* ---- vCPUs ------------------------------------------------------------------- */

/* CPUID.1:EAX of the VM's policy: the signature EDX holds after reset. */
static uint32_t cpu_signature(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->cpuid.count && i < CPUID_MAX_ENTRIES; i++)
		if (vm->cpuid.entries[i].leaf == 1)
			return vm->cpuid.entries[i].regs[0];
	return 0;
}

/* Back to power-on: INIT, nothing cached, nothing pending, reset registers. */
static void vcpu_reset(struct vcpu *vcpu, uint32_t signature)
{
	struct vm *vm = vcpu->vm;
	uint16_t id = vcpu->id;
	/* What other CPUs see of it is not the guest's state: it survives; an
	 * upcall of the old life would be an interrupt of the guest's. */
	uint32_t requests = atomic_load32(&vcpu->requests) & ~(VCPU_REQ_IOREQ_DONE | VCPU_REQ_UPCALL);
	uint32_t running = atomic_load32(&vcpu->running), in_guest = atomic_load32(&vcpu->in_guest);
	uint32_t ack = atomic_load32(&vcpu->ack_gen);
	vcpu_init(vcpu, vm, id);
	atomic_store32(&vcpu->running, running);
	atomic_store32(&vcpu->in_guest, in_guest);
	atomic_store32(&vcpu->ack_gen, ack);
	atomic_store32(&vcpu->requests, requests);
	vm_mgr_reset_state(&vcpu->load, signature);
	cr_adopt_load_state(vcpu, vcpu->load.regs[VCPU_CR0], vcpu->load.regs[VCPU_CR4]);
	vcpu->load_pending = true;
	/* Translations cached for the old state must not survive the reset. */
	vcpu_make_request(vcpu, VCPU_REQ_FLUSH_EPT);
}

/* Waiting for an IOREQ's completion or a WAIT_SYNC hypercall: an instruction is in flight. */
static bool vcpu_in_instruction(struct vcpu *vcpu)
{
	tern_lock(&vcpu->sched_lock);
	enum vcpu_state s = vcpu->state == VCPU_STATE_PAUSED ? vcpu->paused_state : vcpu->state;
	tern_unlock(&vcpu->sched_lock);
	return vcpu->io.active || s == VCPU_STATE_WAIT_SYNC;
}

void vm_mgr_vcpu_init_signal(struct vcpu *vcpu)
{
	/*
	 * INIT is recognized at an instruction boundary (SDM Vol. 3A 6.9,
	 * Table 6-2: external hardware interventions are taken between
	 * instructions). A vCPU parked in the middle of one (an IOREQ the
	 * device model still holds, a WAIT_SYNC hypercall) finishes it first:
	 * the INIT is held (init_held) and taken once the wait ends
	 * (vm_mgr_vcpu_init_held, from vcpu_handle_requests). Cancelling is
	 * not an option for an IOREQ: its slot is the device model's until it
	 * completes it.
	 */
	if (vcpu_in_instruction(vcpu)) {
		vcpu->init_held = true;
		return;
	}
	vcpu->init_held = false;
	/*
	 * INIT (SDM Vol. 3A 9.1, Table 9-1; 10.4.7.3): the registers take
	 * their reset values, the vLAPIC its INIT state (ID and
	 * IA32_APIC_BASE kept), nothing stays pending; MSRs are kept. An AP
	 * then waits for a SIPI (VCPU_STATE_INIT, which the scheduler does
	 * not run); the BSP (IA32_APIC_BASE.BSP) runs from the reset vector,
	 * as it does after every INIT once the MP protocol chose it (SDM
	 * Vol. 3A 8.4.2): a guest with no firmware there stops on that fetch
	 * (an address outside its memory), it does not wait for a SIPI that
	 * no one sends.
	 */
	bool bsp = (vcpu->lapic.apic_base & VLAPIC_BASE_BSP) != 0;
	vm_mgr_reset_state(&vcpu->load, cpu_signature(vcpu->vm));
	cr_adopt_load_state(vcpu, vcpu->load.regs[VCPU_CR0], vcpu->load.regs[VCPU_CR4]);
	vcpu->load_pending = true;
	/* The cache described the old state (the last exit's dirty RIP...): none of it is written back. */
	vcpu_cache_reset(vcpu);
	/* An MMIO instruction of the old state does not go on in the new one. */
	vcpu->mmio.active = false;
	vcpu->mmio.resume = false;
	vcpu->event.valid = false;
	intr_reset(vcpu);
	vlapic_init_reset(&vcpu->lapic);
	vcpu->timer_deadline = UINT64_MAX;
	tern_lock(&vcpu->sched_lock);
	enum vcpu_state *s = vcpu->state == VCPU_STATE_PAUSED ? &vcpu->paused_state : &vcpu->state;
	/* A stopped one stays stopped. */
	if (*s == VCPU_STATE_RUNNABLE || *s == VCPU_STATE_HALTED)
		*s = bsp ? VCPU_STATE_RUNNABLE : VCPU_STATE_INIT;
	tern_unlock(&vcpu->sched_lock);
}

void vm_mgr_vcpu_init_held(struct vcpu *vcpu)
{
	if (vcpu->init_held && !vcpu_in_instruction(vcpu))
		vm_mgr_vcpu_init_signal(vcpu);
}

void vm_mgr_vcpu_sipi(struct vcpu *vcpu, uint8_t vector)
{
	/* Only a vCPU waiting for SIPI of a running VM starts; other SIPIs are ignored (SDM 8.4.4.1). */
	if (vcpu->vm->state != VM_STATE_RUNNING || vcpu->state != VCPU_STATE_INIT)
		return;
	if (!vcpu->load_pending)
		vm_mgr_reset_state(&vcpu->load, cpu_signature(vcpu->vm));
	/* SDM 8.4.4.1 / 10.6.1: real mode at CS = vector << 8 (base vector << 12), IP = 0. */
	vcpu->load.segs[VCPU_CS].selector = (uint16_t)(vector << 8);
	vcpu->load.segs[VCPU_CS].base = (uint64_t)vector << 12;
	vcpu->load.regs[VCPU_RIP] = 0;
	vcpu->load_pending = true;
	tern_lock(&vcpu->sched_lock);
	if (vcpu->state == VCPU_STATE_INIT)
		vcpu->state = VCPU_STATE_RUNNABLE;
	tern_unlock(&vcpu->sched_lock);
}

static bool vcpu_parked_state(enum vcpu_state s)
{
	return s == VCPU_STATE_INIT || s == VCPU_STATE_RUNNABLE || s == VCPU_STATE_WAIT_IO ||
	       s == VCPU_STATE_HALTED || s == VCPU_STATE_WAIT_SYNC;
}

/*
 * The scheduling state is changed under the vCPU's lock: its owner may be
 * finishing an exit on another pCPU (vcpu_handle_exit). The vCPU leaves
 * guest mode through the request vm_mgr_pause makes.
 */
static void vcpu_pause(struct vcpu *vcpu, uint8_t why)
{
	tern_lock(&vcpu->sched_lock);
	/* Stopped (its own exit stopped it, vm_stop follows): a stop is never undone. */
	if (vcpu->state == VCPU_STATE_STOPPED) {
		tern_unlock(&vcpu->sched_lock);
		return;
	}
	if (vcpu->pause_mask == 0) {
		vcpu->paused_state = vcpu->state;
		vcpu->state = VCPU_STATE_PAUSED;
	}
	vcpu->pause_mask |= why;
	tern_unlock(&vcpu->sched_lock);
}

static void vcpu_unpause(struct vcpu *vcpu, uint8_t why)
{
	tern_lock(&vcpu->sched_lock);
	vcpu->pause_mask &= (uint8_t)~why;
	if (vcpu->pause_mask == 0 && vcpu->state == VCPU_STATE_PAUSED) {
		vcpu->state = vcpu->paused_state;
		vcpu->paused_state = VCPU_STATE_INIT;
	}
	tern_unlock(&vcpu->sched_lock);
	/* Its pCPU may idle: it looks again (request.h). */
	vcpu_make_request(vcpu, VCPU_REQ_WAKE);
}

bool vm_mgr_vcpu_wake(struct vcpu *vcpu)
{
	tern_lock(&vcpu->sched_lock);
	enum vcpu_state *s = vcpu->state == VCPU_STATE_PAUSED ? &vcpu->paused_state : &vcpu->state;
	bool woke = false;
	/* A request still outstanding is not done: only its completion wakes. */
	if ((*s == VCPU_STATE_WAIT_IO && !vcpu->io.active) || *s == VCPU_STATE_HALTED) {
		*s = VCPU_STATE_RUNNABLE;
		woke = true;
	}
	tern_unlock(&vcpu->sched_lock);
	return woke;
}

static struct vcpu *vcpu_of(struct vm *vm, uint16_t vcpu_id)
{
	return vcpu_id < vm->config.vcpu_count ? &vm->vcpus[vcpu_id] : (struct vcpu *)0;
}

/* ---- VMs ----------------------------------------------------------------------- */

/* 0 when the VM exists and its state is one of `allowed` (bit per state). */
static int state_allows(const struct vm *vm, unsigned allowed)
{
	if (vm->state == VM_STATE_POWERED_OFF)
		return -TERN_ENOENT;
	if ((unsigned)vm->state > VM_STATE_STOPPED)
		return -TERN_EBUSY;
	return (allowed >> vm->state) & 1u ? 0 : -TERN_EBUSY;
}
#define IN(s) (1u << (s))

/*
 * The BSP starts in the VM's boot state (vm_mgr_set_boot_state), with its
 * vLAPIC as firmware leaves it (virtual wire: the vPIC reaches it through
 * LINT0, so a guest that never programs its APIC still gets the PIT's and
 * the PIC's interrupts). The APs wait for SIPI in the reset state; the
 * guest's INIT resets their vLAPICs anyway.
 */
static void load_boot_state(struct vm *vm)
{
	struct vcpu *bsp = &vm->vcpus[0];
	vlapic_virtual_wire(&bsp->lapic);
	bsp->load = vm->boot_state;
	cr_adopt_load_state(bsp, bsp->load.regs[VCPU_CR0], bsp->load.regs[VCPU_CR4]);
	bsp->load_pending = true;
}

static void reset_vm_state(struct vm *vm)
{
	uint32_t sig = cpu_signature(vm);
	for (uint16_t i = 0; i < vm->config.vcpu_count; i++)
		vcpu_reset(&vm->vcpus[i], sig);
	if (vm->boot_state_valid)
		load_boot_state(vm);
	uart_init(&vm->com1);
	vm_irq_reset(vm);
	vm->upcall_drop_logged = false;
	vm->pci_cf8 = 0;
	/* Requests of the old life are void: every slot FREE again (as ACRN's
	 * reset does). A page that cannot be written any more is dropped; the
	 * Service VM names one again with HC_SET_IOREQ_BUFFER. */
	if (vm->ioreq_valid && ioreq_set_buffer(vm, vm->ioreq_gpa) != 0)
		vm->ioreq_valid = false;
	vm->stop_cause = VM_STOP_NONE;
	vm->stop_detail = 0;
	vm->exit_status = 0;
	vm->state = VM_STATE_CREATED;
}

int vm_mgr_create(struct tern *hv, const struct vm_config *cfg, struct vm **out)
{
	struct vm *vm = (struct vm *)0;
	int ret = vm_create(hv, cfg, &vm);
	if (ret == 0) {
		reset_vm_state(vm);
		*out = vm;
	}
	return ret;
}

int vm_mgr_set_boot_state(struct vm *vm, const struct vcpu_load_state *st)
{
	int ret = state_allows(vm, IN(VM_STATE_CREATED));
	if (ret == 0)
		ret = vm_mgr_check_load_state(st);
	if (ret == 0) {
		vm->boot_state = *st;
		vm->boot_state_valid = true;
		load_boot_state(vm);
	}
	return ret;
}

/*
 * Wait, then do (docs/concurrency.md): keep every pCPU's scheduler off the
 * VM's vCPUs, then check that none (only: that one) is current. The
 * scheduler makes a vCPU current and then reads the block (scheduler.c
 * claim); this sets the block and then reads `running`. Both are
 * sequentially consistent, so one sees the other: no vCPU becomes current
 * between this check and the act. 0 with the VM blocked (unblock after the
 * act), or -TERN_EAGAIN, unblocked.
 */
static int block_quiescent(struct vm *vm, const struct vcpu *only)
{
	atomic_or32(&vm->sched_block, SCHED_BLOCK_SET);
	bool busy = only ? atomic_load32(&only->running) != 0 : !vm_quiescent(vm);
	if (!busy)
		return 0;
	atomic_store32(&vm->sched_block, 0);
	return -TERN_EAGAIN;
}

/*
 * The act is done: the schedulers may take the VM's vCPUs again. When a
 * pCPU skipped one meanwhile (it would have run it: SCHED_BLOCK_SKIPPED),
 * that pCPU may have gone idle: a wake-up makes it look again.
 */
static void unblock(struct vm *vm)
{
	if (!(atomic_xchg32(&vm->sched_block, 0) & SCHED_BLOCK_SKIPPED))
		return;
	for (uint16_t i = 0; i < vm->config.vcpu_count && i < TERN_MAX_VCPUS; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->state == VCPU_STATE_RUNNABLE || vcpu_has_requests(v))
			vcpu_make_request(v, VCPU_REQ_WAKE);
	}
}

int vm_mgr_start(struct vm *vm)
{
	tern_lock(&vm->state_lock);
	int ret = state_allows(vm, IN(VM_STATE_CREATED));
	if (ret == 0) {
		vm->vcpus[0].state = VCPU_STATE_RUNNABLE;
		vm->state = VM_STATE_RUNNING;
	}
	tern_unlock(&vm->state_lock);
	if (ret == 0) {
		vcpu_make_request(&vm->vcpus[0], VCPU_REQ_WAKE);
		log_info("vm%u (%s) started", vm->id, vm->config.name);
	}
	return ret;
}

int vm_mgr_pause(struct vm *vm)
{
	/* Against vm_stop from a vCPU of the VM on another pCPU: a stop is never undone. */
	tern_lock(&vm->state_lock);
	int ret = state_allows(vm, IN(VM_STATE_RUNNING));
	if (ret == 0) {
		for (uint16_t i = 0; i < vm->config.vcpu_count; i++) {
			ioreq_report_pending(&vm->vcpus[i], "paused with an I/O request outstanding");
			vcpu_pause(&vm->vcpus[i], VCPU_PAUSED_BY_VM);
		}
		vm->state = VM_STATE_PAUSED;
	}
	tern_unlock(&vm->state_lock);
	/* Out of guest mode: complete once every vCPU acknowledged (vm_synced). */
	if (ret == 0)
		(void)vm_sync_request(vm, 0);
	return ret;
}

int vm_mgr_resume(struct vm *vm)
{
	tern_lock(&vm->state_lock);
	int ret = state_allows(vm, IN(VM_STATE_PAUSED));
	if (ret == 0) {
		for (uint16_t i = 0; i < vm->config.vcpu_count; i++)
			vcpu_unpause(&vm->vcpus[i], VCPU_PAUSED_BY_VM);
		vm->state = VM_STATE_RUNNING;
	}
	tern_unlock(&vm->state_lock);
	return ret;
}

int vm_mgr_reset(struct vm *vm)
{
	tern_lock(&vm->state_lock);
	int ret = state_allows(vm, IN(VM_STATE_PAUSED) | IN(VM_STATE_STOPPED));
	if (ret == 0)
		ret = block_quiescent(vm, (const struct vcpu *)0);
	if (ret == 0) {
		for (uint16_t i = 0; i < vm->config.vcpu_count; i++)
			ioreq_report_pending(&vm->vcpus[i], "reset with an I/O request outstanding");
		reset_vm_state(vm);
	}
	tern_unlock(&vm->state_lock);
	if (ret == 0) {
		unblock(vm);
		log_info("vm%u (%s) reset", vm->id, vm->config.name);
	}
	return ret;
}

void vm_mgr_reboot(struct vm *vm)
{
	if (vm->state == VM_STATE_POWERED_OFF)
		return;
	reset_vm_state(vm);
	log_info("vm%u (%s) reset after a triple fault", vm->id, vm->config.name);
	(void)vm_mgr_start(vm);
}

/* struct vcpu's back-pointer is its first member: wipe_keeping_block keeps it. */
typedef char vcpu_vm_first[offsetof(struct vcpu, vm) == 0 ? 1 : -1];

/*
 * Zero a destroyed VM but for what a scheduler on another pCPU may still
 * read of it: it took a vCPU (sched_next's slot) before the state became
 * POWERED_OFF and is about to claim it. The block stays set, so claim
 * leaves the vCPU alone, and each vCPU's vm pointer stays valid for it to
 * read the block through (scheduler.c claim). vm_create clears both.
 */
static void wipe_keeping_block(struct vm *vm)
{
	char *p = (char *)vm;
	const size_t block = offsetof(struct vm, sched_block), after_block = block + sizeof(vm->sched_block);
	const size_t vcpus = offsetof(struct vm, vcpus), after_vcpus = vcpus + sizeof(vm->vcpus);
	tern_memset(p, 0, block);
	tern_memset(p + after_block, 0, vcpus - after_block);
	for (unsigned i = 0; i < TERN_MAX_VCPUS; i++)
		tern_memset((char *)&vm->vcpus[i] + sizeof(vm->vcpus[i].vm), 0,
			    sizeof(vm->vcpus[i]) - sizeof(vm->vcpus[i].vm));
	tern_memset(p + after_vcpus, 0, sizeof(*vm) - after_vcpus);
}

int vm_mgr_destroy(struct vm *vm)
{
	tern_lock(&vm->state_lock);
	int ret = state_allows(vm, IN(VM_STATE_CREATED) | IN(VM_STATE_PAUSED) | IN(VM_STATE_STOPPED));
	if (ret == 0) /* nothing is freed under a current vCPU, nor one made current meanwhile */
		ret = block_quiescent(vm, (const struct vcpu *)0);
	tern_unlock(&vm->state_lock);
	if (ret == 0) {
		struct tern *hv = vm->hv;
		uint16_t id = vm->id;
		for (uint16_t i = 0; i < vm->config.vcpu_count; i++)
			ioreq_report_pending(&vm->vcpus[i], "destroyed with an I/O request outstanding");
		ioreq_release(vm);
		log_info("vm%u (%s) destroyed", id, vm->config.name);
		plat_vm_retire(vm); /* the platform's per-pCPU state of its vCPUs */
		vm_memory_destroy(vm); /* the EPT's tables go back to the pool */
		uint32_t cpus = 0; /* the pCPUs whose entry decisions counted its vCPUs */
		for (uint16_t i = 0; i < vm->config.vcpu_count && i < TERN_MAX_VCPUS; i++)
			cpus |= 1u << vm->vcpus[i].pcpu;
		/* Gone for every scheduler first (slot, claim), then wiped. */
		__atomic_store_n(&vm->state, VM_STATE_POWERED_OFF, __ATOMIC_SEQ_CST);
		for (uint16_t c = 0; c < TERN_MAX_PCPUS; c++)
			if (cpus & (1u << c))
				sched_cpu_stale(&hv->cpus[c]);
		wipe_keeping_block(vm);
		vm->hv = hv;
		vm->id = id;
		vm->state = VM_STATE_POWERED_OFF;
	}
	return ret;
}

int vm_mgr_pause_vcpu(struct vm *vm, uint16_t vcpu_id)
{
	/* Against vm_stop from a vCPU of the VM on another pCPU, as vm_mgr_pause. */
	tern_lock(&vm->state_lock);
	int ret = state_allows(vm, IN(VM_STATE_RUNNING) | IN(VM_STATE_PAUSED));
	struct vcpu *vcpu = vcpu_of(vm, vcpu_id);
	if (ret == 0 && !vcpu)
		ret = -TERN_EINVAL;
	else if (ret == 0 && (vcpu->pause_mask & VCPU_PAUSED_BY_VCPU))
		ret = -TERN_EBUSY;
	if (ret == 0)
		vcpu_pause(vcpu, VCPU_PAUSED_BY_VCPU);
	tern_unlock(&vm->state_lock);
	if (ret == 0)
		(void)vm_sync_request(vm, 0);
	return ret;
}

int vm_mgr_resume_vcpu(struct vm *vm, uint16_t vcpu_id)
{
	tern_lock(&vm->state_lock);
	int ret = state_allows(vm, IN(VM_STATE_RUNNING) | IN(VM_STATE_PAUSED));
	struct vcpu *vcpu = vcpu_of(vm, vcpu_id);
	if (ret == 0 && !vcpu)
		ret = -TERN_EINVAL;
	else if (ret == 0 && !(vcpu->pause_mask & VCPU_PAUSED_BY_VCPU))
		ret = -TERN_EBUSY;
	if (ret == 0)
		vcpu_unpause(vcpu, VCPU_PAUSED_BY_VCPU);
	tern_unlock(&vm->state_lock);
	return ret;
}

int vm_mgr_set_vcpu_state(struct vm *vm, uint16_t vcpu_id, const struct vcpu_load_state *st)
{
	int ret = state_allows(vm, IN(VM_STATE_CREATED) | IN(VM_STATE_PAUSED));
	struct vcpu *vcpu = vcpu_of(vm, vcpu_id);
	if (ret == 0 && !vcpu)
		ret = -TERN_EINVAL;
	else if (ret == 0 && vcpu->io.active)
		ret = -TERN_EBUSY;
	if (ret == 0)
		ret = block_quiescent(vm, vcpu); /* nothing rewritten under a current vCPU */
	bool blocked = ret == 0;
	if (ret == 0)
		ret = vm_mgr_check_load_state(st);
	if (ret == 0)
		ret = cr_load_state_pdptes(vcpu, st->regs[VCPU_CR0], st->regs[VCPU_CR3],
					   st->regs[VCPU_CR4], st->regs[VCPU_EFER]);
	if (ret == 0) {
		vcpu->load = *st;
		/* The guest reads back the CR0/CR4 that were set (read shadows). */
		cr_adopt_load_state(vcpu, vcpu->load.regs[VCPU_CR0], vcpu->load.regs[VCPU_CR4]);
		vcpu->load_pending = true;
		/* The cache described the old state; nothing of it is written back. */
		vcpu_cache_reset(vcpu);
		/* An MMIO instruction of the old state does not go on in the new one. */
		vcpu->mmio.active = false;
		vcpu->mmio.resume = false;
	}
	if (blocked)
		unblock(vm);
	return ret;
}

/* ---- invariants ------------------------------------------------------------------ */

static bool vcpu_consistent(const struct vm *vm, const struct vcpu *v)
{
	/* Waiting for I/O (paused or not) exactly while an IOREQ is outstanding. */
	enum vcpu_state s = v->state == VCPU_STATE_PAUSED ? v->paused_state : v->state;
	if (vm->state != VM_STATE_STOPPED && (s == VCPU_STATE_WAIT_IO) != v->io.active)
		return false;
	switch (vm->state) {
	case VM_STATE_CREATED:
		return v->state == VCPU_STATE_INIT && v->pause_mask == 0;
	case VM_STATE_RUNNING:
		if (v->pause_mask & ~VCPU_PAUSED_BY_VCPU)
			return false;
		if (v->pause_mask)
			return v->state == VCPU_STATE_PAUSED && vcpu_parked_state(v->paused_state);
		return vcpu_parked_state(v->state);
	case VM_STATE_PAUSED:
		return v->state == VCPU_STATE_PAUSED && (v->pause_mask & VCPU_PAUSED_BY_VM) &&
		       !(v->pause_mask & ~(VCPU_PAUSED_BY_VM | VCPU_PAUSED_BY_VCPU)) &&
		       vcpu_parked_state(v->paused_state);
	case VM_STATE_STOPPED:
		return v->state == VCPU_STATE_STOPPED;
	default:
		return false;
	}
}

int vm_mgr_check(const struct vm *vm)
{
	if (vm->state == VM_STATE_POWERED_OFF)
		return 0;
	if (vm->state > VM_STATE_STOPPED || vm->config.vcpu_count == 0 ||
	    vm->config.vcpu_count > TERN_MAX_VCPUS)
		return -TERN_EINVAL;
	for (uint16_t i = 0; i < vm->config.vcpu_count; i++)
		if (vm->vcpus[i].vm != vm || vm->vcpus[i].id != i || !vcpu_consistent(vm, &vm->vcpus[i]))
			return -TERN_EINVAL;
	return 0;
}

static const char *const vm_state_names[] = {
	[VM_STATE_POWERED_OFF] = "powered-off",
	[VM_STATE_CREATED] = "created",
	[VM_STATE_RUNNING] = "running",
	[VM_STATE_PAUSED] = "paused",
	[VM_STATE_STOPPED] = "stopped",
};

static const char *const vcpu_state_names[] = {
	[VCPU_STATE_INIT] = "init",
	[VCPU_STATE_RUNNABLE] = "runnable",
	[VCPU_STATE_WAIT_IO] = "wait-io",
	[VCPU_STATE_HALTED] = "halted",
	[VCPU_STATE_PAUSED] = "paused",
	[VCPU_STATE_STOPPED] = "stopped",
	[VCPU_STATE_WAIT_SYNC] = "wait-sync",
};

const char *vm_state_name(enum vm_state state)
{
	if ((unsigned)state >= TERN_ARRAY_SIZE(vm_state_names))
		return "unknown";
	return vm_state_names[state];
}

const char *vcpu_state_name(enum vcpu_state state)
{
	if ((unsigned)state >= TERN_ARRAY_SIZE(vcpu_state_names))
		return "unknown";
	return vcpu_state_names[state];
}
