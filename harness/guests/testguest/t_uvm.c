/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Service VM launches a User VM (docs/testguest.md, "uvm.*"): through
 * ACRN's hypercalls it creates one, lends it 1 MiB of its own RAM holding
 * the payload (harness/guests/uvm, embedded by uvm_image.S), sets its
 * vCPU's registers, starts it, pauses and resumes it and its vCPU while it
 * runs, waits for its debug-exit, destroys it, and checks that the memory
 * is its own again.
 *
 * Waiting on one pCPU: the User VM runs only while this vCPU is not in
 * guest mode, and core's scheduler goes round-robin at every exit among
 * the runnable vCPUs. So the Service VM waits by polling with a bound,
 * each poll a hypercall (HC_TERN_GET_VM_STATE): one exit, after which the
 * User VM's vCPU runs until its own next exit. HLT would not do: this
 * guest has no interrupt source, so a halted Service VM could never be
 * woken once the User VM ends (core stops such a VM, scheduler.h).
 */
#include "guest.h"
#include "uvm_abi.h"

#define HC_CREATE_VM             0x80000010ull
#define HC_DESTROY_VM            0x80000011ull
#define HC_START_VM              0x80000012ull
#define HC_PAUSE_VM              0x80000013ull
#define HC_SET_VCPU_REGS         0x80000016ull
#define HC_VM_SET_MEMORY_REGIONS 0x80000042ull
#define HC_TERN_RESUME_VM        0x800000f0ull
#define HC_TERN_PAUSE_VCPU       0x800000f1ull
#define HC_TERN_RESUME_VCPU      0x800000f2ull
#define HC_TERN_GET_VM_STATE     0x800000f3ull

#define VM_STATE_RUNNING 2u
#define VM_STATE_PAUSED 3u
#define VM_STATE_STOPPED 4u
#define VM_STOP_GUEST_EXIT 4u
#define ENOENT 2
#define MR_ADD 0u
#define MEM_RWX_WB 0x047u          /* read, write, execute; write-back */

/* The Service VM memory lent to the User VM (GPA 0 there), unused by this guest. */
#define LEND_GPA 0x1800000ull
#define POLL_MAX 400000u           /* polls (exits) before giving up on the User VM */
#define QUIET_POLLS 64u            /* polls during which a paused User VM must not run */

struct vm_creation {
	uint16_t vmid, reserved0, vcpu_num, reserved1;
	uint8_t name[16];
	uint64_t vm_flag, ioreq_buf, cpu_affinity;
};
struct mem_region {
	uint32_t type, prot;
	uint64_t gpa, service_vm_gpa, size;
};
struct set_regions {
	uint16_t vmid, reserved0;
	uint32_t reserved1, mr_num, reserved2;
	uint64_t regions_gpa;
};
struct dt_ptr {
	uint16_t limit;
	uint64_t base;
	uint16_t reserved[3];
} __attribute__((packed));
struct vcpu_regs {
	uint16_t vcpu_id, reserved[3];
	uint64_t gprs[16];         /* rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
	struct dt_ptr gdt, idt;
	uint64_t rip, cs_base, cr0, cr4, cr3, ia32_efer, rflags, reserved_64[4];
	uint32_t cs_ar, cs_limit, reserved_32[3];
	uint16_t cs_sel, ss_sel, ds_sel, es_sel, fs_sel, gs_sel, ldt_sel, tr_sel, reserved_16[4];
};
_Static_assert(sizeof(struct vcpu_regs) == 304, "ACRN acrn_vcpu_regs layout");
struct vm_state {
	uint32_t state, stop_cause, stop_detail, exit_status;
};

extern const uint8_t tg_uvm_image[], tg_uvm_image_end[];

/* Parameter blocks: identity-mapped, so their address is their GPA. */
static struct vm_creation cv __attribute__((aligned(8)));
static struct mem_region region __attribute__((aligned(8)));
static struct set_regions sr __attribute__((aligned(8)));
static struct vcpu_regs regs __attribute__((aligned(8)));
static struct vm_state st __attribute__((aligned(8)));

static int64_t hcall(uint64_t id, uint64_t p1, uint64_t p2)
{
	register uint64_t r8 __asm__("r8") = id;
	uint64_t rax;
	__asm__ volatile("vmcall" : "=a"(rax), "+D"(p1), "+S"(p2), "+r"(r8) : : "memory", "cc");
	return (int64_t)rax;
}

static int64_t create(const char *name, uint16_t *id)
{
	memset(&cv, 0, sizeof(cv));
	for (unsigned i = 0; name[i] && i < sizeof(cv.name) - 1; i++)
		cv.name[i] = (uint8_t)name[i];
	/*
	 * One vCPU, on pCPU 1 where Tern runs on two CPUs or more (the Service
	 * VM's is on pCPU 0: the two run in parallel), else on pCPU 0: an
	 * affinity naming a pCPU that is not online is refused (-EINVAL).
	 */
	cv.cpu_affinity = 2;
	int64_t r = hcall(HC_CREATE_VM, (uint64_t)&cv, 0);
	if (r == -22) {
		cv.cpu_affinity = 1;
		r = hcall(HC_CREATE_VM, (uint64_t)&cv, 0);
	}
	*id = cv.vmid;
	return r;
}

static int64_t lend(uint16_t id)
{
	region = (struct mem_region){ MR_ADD, MEM_RWX_WB, 0, LEND_GPA, UVM_MEM_SIZE };
	sr = (struct set_regions){ .vmid = id, .mr_num = 1, .regions_gpa = (uint64_t)&region };
	return hcall(HC_VM_SET_MEMORY_REGIONS, (uint64_t)&sr, 0);
}

/* One poll: the User VM's state (and a yield of the pCPU). */
static int64_t poll(uint16_t id)
{
	return hcall(HC_TERN_GET_VM_STATE, id, (uint64_t)&st);
}

/* Poll until the mailbox counter passes `than` or the VM stops; true if it did. */
static bool wait_counter(uint16_t id, volatile struct uvm_mailbox *mb, uint32_t than)
{
	for (unsigned n = 0; n < POLL_MAX; n++) {
		if (poll(id) != 0 || st.state == VM_STATE_STOPPED)
			return false;
		if (mb->magic == UVM_MAGIC && mb->counter > than)
			return true;
	}
	return false;
}

/* Paused (as a VM or its vCPU): QUIET_POLLS yields without a single spin. */
static bool stays_still(uint16_t id, volatile struct uvm_mailbox *mb, uint32_t want_state)
{
	uint32_t c = mb->counter;
	for (unsigned n = 0; n < QUIET_POLLS; n++)
		if (poll(id) != 0 || st.state != want_state || mb->counter != c)
			return false;
	return true;
}

static void start_state(void)
{
	memset(&regs, 0, sizeof(regs));
	regs.gprs[4] = UVM_STACK_TOP;      /* RSP */
	regs.rip = UVM_LOAD_GPA;
	regs.cr0 = 0x11;                   /* PE, ET: protected mode, paging off */
	regs.rflags = 0x2;
	regs.cs_ar = 0xc09b;               /* flat 32-bit code, accessed (VMCS format) */
	regs.cs_limit = 0xffffffffu;
	regs.cs_sel = UVM_CODE_SEL;
	regs.ss_sel = regs.ds_sel = regs.es_sel = regs.fs_sel = regs.gs_sel = UVM_DATA_SEL;
}

static void skip_all(const char *why)
{
	static const char *const names[] = {
		"uvm.create", "uvm.lend-memory", "uvm.set-vcpu-regs", "uvm.start", "uvm.runs",
		"uvm.pause-vm", "uvm.resume-vm", "uvm.pause-vcpu", "uvm.resume-vcpu",
		"uvm.relend-refused", "uvm.exit-status", "uvm.destroy",
		"uvm.relend-after-destroy",
	};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		tg_skip(names[i], why);
}

void tg_test_uvm(void)
{
	uint8_t *lent = (uint8_t *)LEND_GPA;
	volatile struct uvm_mailbox *mb = (volatile struct uvm_mailbox *)(LEND_GPA + UVM_MAILBOX_GPA);
	size_t image = (size_t)(tg_uvm_image_end - tg_uvm_image);
	uint16_t id = 0, id2 = 0;

	if (!tg_env.tern) {
		skip_all("not under Tern");
		return;
	}
	/* The User VM's RAM: zero (its .bss), the payload at UVM_LOAD_GPA. */
	memset(lent, 0, UVM_MEM_SIZE);
	memcpy(lent + UVM_LOAD_GPA, tg_uvm_image, image);

	bool ok = tg_check("uvm.create", create("uvm", &id) == 0 && id != 0, "vmid %u", id);
	ok = tg_check_eq("uvm.lend-memory", (uint64_t)lend(id), 0) && ok;
	start_state();
	ok = tg_check_eq("uvm.set-vcpu-regs", (uint64_t)hcall(HC_SET_VCPU_REGS, id, (uint64_t)&regs), 0) && ok;
	ok = tg_check_eq("uvm.start", (uint64_t)hcall(HC_START_VM, id, 0), 0) && ok;
	if (!ok) {
		tg_fail("uvm.runs", "not launched");
	} else {
		tg_check("uvm.runs", wait_counter(id, mb, 0), "state %u, magic 0x%x, counter %u",
			 st.state, mb->magic, mb->counter);
	}

	/* HC_PAUSE_VM returns once the vCPU is out of guest mode: it spins no more. */
	int64_t r = hcall(HC_PAUSE_VM, id, 0);
	tg_check("uvm.pause-vm", r == 0 && stays_still(id, mb, VM_STATE_PAUSED),
		 "rc %d, state %u", (int)r, st.state);
	r = hcall(HC_TERN_RESUME_VM, id, 0);
	tg_check("uvm.resume-vm", r == 0 && wait_counter(id, mb, mb->counter), "rc %d, state %u",
		 (int)r, st.state);
	r = hcall(HC_TERN_PAUSE_VCPU, id, 0);
	tg_check("uvm.pause-vcpu", r == 0 && stays_still(id, mb, VM_STATE_RUNNING),
		 "rc %d, state %u", (int)r, st.state);
	r = hcall(HC_TERN_RESUME_VCPU, id, 0);
	tg_check("uvm.resume-vcpu", r == 0 && wait_counter(id, mb, mb->counter), "rc %d, state %u",
		 (int)r, st.state);

	/* Lent memory is lent once: a second VM cannot have it while the first does. */
	int64_t c2 = create("uvm-b", &id2);
	tg_check("uvm.relend-refused", c2 == 0 && lend(id2) < 0, "create %d", (int)c2);

	/* Go: the User VM leaves its loop and writes its debug-exit port. */
	mb->go = 1;
	unsigned n = 0;
	while (n++ < POLL_MAX && poll(id) == 0 && st.state != VM_STATE_STOPPED)
		;
	tg_check("uvm.exit-status", st.state == VM_STATE_STOPPED && st.stop_cause == VM_STOP_GUEST_EXIT &&
		 st.exit_status == UVM_EXIT_OK,
		 "state %u, cause %u, status 0x%x (its checks: %u failed)", st.state, st.stop_cause,
		 st.exit_status, mb->failures);

	r = hcall(HC_DESTROY_VM, id, 0);
	tg_check("uvm.destroy", r == 0 && poll(id) == -ENOENT, "rc %d", (int)r);

	/*
	 * The Service VM never loses its own mapping of what it lends, so
	 * reading and writing it proves nothing; what destroy must give back is
	 * the page's ownership: no EPT or owner map holds it any more, and it
	 * can be lent again (refused while lent: uvm.relend-refused).
	 */
	r = c2 == 0 ? lend(id2) : -1;
	int64_t d2 = c2 == 0 ? hcall(HC_DESTROY_VM, id2, 0) : -1;
	tg_check("uvm.relend-after-destroy", r == 0 && d2 == 0, "lend %d, destroy %d", (int)r, (int)d2);
}
