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
 *
 * Its I/O (docs/testguest.md, "I/O served by the Service VM"): this guest
 * names an IOREQ page for each User VM and serves it (ioreq_svc.c) — the
 * first VM in notification mode (the upcall vector interrupts the polling
 * loop, IF = 1 while a User VM runs, and the handler serves the slots), a
 * second one created with ACRN's polling flag, whose loop serves the slots
 * between polls (no upcall, no completion hypercall).
 */
#include "guest.h"
#include "tg_hcall.h"
#include "ioreq_svc.h"
#include "uvm_abi.h"

#define VM_STATE_RUNNING 2u
#define VM_STATE_PAUSED 3u
#define VM_STATE_STOPPED 4u
#define VM_STOP_GUEST_EXIT 4u
#define ENOENT 2
#define EINVAL 22
#define EBUSY 16
#define ACRN_VM_FLAG_IO_COMPLETION_POLLING (1ull << 2)
/* The upcall vector this Service VM asks for: not ACRN's default 0xF3, so
 * that only HC_SET_CALLBACK_VECTOR can have put it there. */
#define TG_UPCALL_VECTOR 0xe3u
#define BAD_UPCALL_VECTOR 0x1fu    /* an exception vector: refused */
/*
 * 0: the polling run completes as ACRN's HSM does in polling mode, by the
 * COMPLETE write alone: core's scheduler finds the slot (ioreq_poll) and
 * the recorder writes it as a COMPLETE record. With the User VM on pCPU1
 * that pCPU has nothing else to run meanwhile; it PAUSE-polls instead of
 * halting (core/sched_poll.h, platform/x86/run.c idle_poll), as no kick
 * announces the write. 1 would also call HC_NOTIFY_REQUEST_FINISH (accepted
 * in polling mode too), whose request kicks the pCPU.
 */
#define TG_POLL_FINISH_HYPERCALL 0
#define MR_ADD 0u
#define MEM_RWX_WB 0x047u          /* read, write, execute; write-back */

/* The Service VM memory lent to the User VM (GPA 0 there), unused by this guest. */
#define LEND_GPA 0x1800000ull
/*
 * The polling run's VM gets the next 1 MiB: it runs while the first still
 * holds its memory, so that it gets a VM id of its own (the trace format
 * has one VM record per id: tern-sim refuses an id created twice).
 */
#define LEND_POLL_GPA (LEND_GPA + UVM_MEM_SIZE)
#define LEND_STUCK_GPA (LEND_POLL_GPA + UVM_MEM_SIZE)
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
static uint64_t ioreq_buf __attribute__((aligned(8)));   /* struct acrn_ioreq_buffer */
/* One IOREQ page per User VM, in this VM's own (not lent) memory. */
static uint8_t ioreq_pages[3][IOREQ_PAGE_SIZE] __attribute__((aligned(IOREQ_PAGE_SIZE)));
static struct iosvc svc_notify, svc_poll, svc_self;


static int64_t create_flags(const char *name, uint64_t flags, uint16_t *id)
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
	cv.vm_flag = flags;
	int64_t r = tg_hcall(HC_CREATE_VM, (uint64_t)&cv, 0);
	if (r == -22) {
		cv.cpu_affinity = 1;
		r = tg_hcall(HC_CREATE_VM, (uint64_t)&cv, 0);
	}
	*id = cv.vmid;
	return r;
}

static int64_t create(const char *name, uint16_t *id)
{
	return create_flags(name, 0, id);
}

static int64_t set_ioreq_page(uint16_t id, void *page)
{
	ioreq_buf = (uint64_t)page;
	return tg_hcall(HC_SET_IOREQ_BUFFER, id, (uint64_t)&ioreq_buf);
}

static int64_t lend_at(uint16_t id, uint64_t service_gpa)
{
	region = (struct mem_region){ MR_ADD, MEM_RWX_WB, 0, service_gpa, UVM_MEM_SIZE };
	sr = (struct set_regions){ .vmid = id, .mr_num = 1, .regions_gpa = (uint64_t)&region };
	return tg_hcall(HC_VM_SET_MEMORY_REGIONS, (uint64_t)&sr, 0);
}

static int64_t lend(uint16_t id)
{
	return lend_at(id, LEND_GPA);
}

/* One poll: the User VM's state (and a yield of the pCPU). */
static int64_t poll(uint16_t id)
{
	return tg_hcall(HC_TERN_GET_VM_STATE, id, (uint64_t)&st);
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

/*
 * Notification mode lets the Service VM sleep: HLT until an upcall, as an
 * HSM's kernel idles, until the User VM's checks ran (mailbox magic; its
 * doorbell request after the magic is the upcall that brings this back).
 * STI;HLT with IF = 0 before it: an upcall between the test and the HLT is
 * taken after the HLT starts, never lost (STI's shadow, SDM Vol. 2B STI).
 * Returns the number of wake-ups.
 */
static unsigned sleep_until_magic(volatile struct uvm_mailbox *mb)
{
	unsigned wakes = 0;
	__asm__ volatile("cli" ::: "memory");
	while (mb->magic != UVM_MAGIC && wakes < POLL_MAX) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		wakes++;
	}
	__asm__ volatile("sti" ::: "memory");
	return wakes;
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
		"uvm.ioreq-serve-self-test", "uvm.ioreq-serve-rejects-hostile",
		"uvm.ioreq-set-buffer", "uvm.ioreq-callback-vector-refused", "uvm.ioreq-callback-vector",
		"uvm.ioreq-notify-served", "uvm.ioreq-notify-hlt-wakes", "uvm.ioreq-finish-nothing-pending",
		"uvm.ioreq-finish-no-such-vcpu", "uvm.ioreq-finish-misbehaving",
		"uvm.ioreq-poll-launch", "uvm.ioreq-poll-exit-status", "uvm.ioreq-poll-served",
		"uvm.ioreq-poll-destroy",
		"uvm.ioreq-stuck-launch", "uvm.ioreq-stuck-pending", "uvm.ioreq-stuck-pause",
		"uvm.ioreq-stuck-destroy",
	};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		tg_skip(names[i], why);
}

static volatile struct uvm_mailbox *mailbox_at(uint64_t lent_gpa)
{
	return (volatile struct uvm_mailbox *)(lent_gpa + UVM_MAILBOX_GPA);
}

/* The payload into memory to lend, zeroed (its .bss), the mailbox set for `mode`. */
static void load_payload(uint64_t lent_gpa, uint32_t mode)
{
	uint8_t *lent = (uint8_t *)lent_gpa;
	volatile struct uvm_mailbox *mb = mailbox_at(lent_gpa);
	memset(lent, 0, UVM_MEM_SIZE);
	memcpy(lent + UVM_LOAD_GPA, tg_uvm_image, (size_t)(tg_uvm_image_end - tg_uvm_image));
	mb->mode = mode;
	mb->go = mode == UVM_MODE_POLL;   /* the polling run exits after its checks */
}

/* A slot of a private page, as Tern would write it. */
static void put_slot(uint8_t *page, unsigned id, uint32_t type, uint32_t dir, uint64_t addr,
		     uint64_t size, uint64_t value, uint32_t state)
{
	uint8_t *slot = page + id * IOREQ_SLOT_SIZE;
	memset(slot, 0, IOREQ_SLOT_SIZE);
	*(uint32_t *)(slot + IOREQ_TYPE) = type;
	*(uint32_t *)(slot + IOREQ_POLLING) = 1;
	*(uint32_t *)(slot + IOREQ_DIRECTION) = dir;
	*(uint64_t *)(slot + IOREQ_ADDRESS) = addr;
	*(uint64_t *)(slot + IOREQ_SIZE) = size;
	*(uint64_t *)(slot + IOREQ_VALUE) = value;
	*(uint32_t *)(slot + IOREQ_STATE) = state;
}

static uint32_t slot_state(const uint8_t *page, unsigned id)
{
	return *(const uint32_t *)(page + id * IOREQ_SLOT_SIZE + IOREQ_STATE);
}

static uint64_t slot_value(const uint8_t *page, unsigned id)
{
	return *(const uint64_t *)(page + id * IOREQ_SLOT_SIZE + IOREQ_VALUE);
}

/*
 * The serving code against slots this guest writes itself (a private page,
 * served in polling mode: no hypercall): the MMIO path, which no User VM
 * access reaches until unclaimed MMIO becomes an IOREQ, and hostile slots.
 */
static void test_serve_self(void)
{
	uint8_t *page = ioreq_pages[1];   /* not named to Tern yet */
	const uint64_t scratch = IODEV_MMIO_GPA + IODEV_REG_SCRATCH;

	iosvc_init(&svc_self, page, 0, true);
	memset(page, 0, IOREQ_PAGE_SIZE);
	for (unsigned i = 0; i < IOREQ_SLOTS; i++)
		*(uint32_t *)(page + i * IOREQ_SLOT_SIZE + IOREQ_STATE) = IOREQ_FREE;
	put_slot(page, 0, IOREQ_MMIO, IOREQ_READ, IODEV_MMIO_GPA, 4, 0x1234, IOREQ_PENDING);
	put_slot(page, 1, IOREQ_MMIO, IOREQ_WRITE, scratch, 8, 0x0123456789abcdefull, IOREQ_PENDING);
	unsigned n1 = iosvc_serve(&svc_self);
	put_slot(page, 2, IOREQ_MMIO, IOREQ_READ, scratch + 4, 2, 0, IOREQ_PENDING);
	put_slot(page, 3, IOREQ_MMIO, IOREQ_READ, IODEV_MMIO_GPA + IODEV_MMIO_SIZE, 4, 0, IOREQ_PENDING);
	unsigned n2 = iosvc_serve(&svc_self);
	tg_check("uvm.ioreq-serve-self-test",
		 n1 == 2 && n2 == 2 && slot_value(page, 0) == IODEV_MMIO_ID &&
		 slot_value(page, 1) == 0x0123456789abcdefull &&   /* a write's value stays */
		 slot_value(page, 2) == 0x4567 && slot_value(page, 3) == ~0ull &&
		 slot_state(page, 0) == IOREQ_COMPLETE && slot_state(page, 3) == IOREQ_COMPLETE &&
		 svc_self.st.served[IOREQ_MMIO] == 4 && svc_self.st.unclaimed == 1 &&
		 svc_self.st.rejected == 0,
		 "served %u+%u, values 0x%lx 0x%lx 0x%lx, states %u %u", n1, n2,
		 (unsigned long)slot_value(page, 0), (unsigned long)slot_value(page, 2),
		 (unsigned long)slot_value(page, 3), slot_state(page, 0), slot_state(page, 3));

	/* Hostile: completed with all ones and counted, or (not PENDING) left alone. */
	put_slot(page, 0, 7, IOREQ_READ, IODEV_PORT_BASE, 4, 0, IOREQ_PENDING);        /* type */
	put_slot(page, 1, IOREQ_PORTIO, IOREQ_READ, IODEV_PORT_BASE, 3, 0, IOREQ_PENDING); /* size */
	put_slot(page, 2, IOREQ_PORTIO, 2, IODEV_PORT_BASE, 4, 0, IOREQ_PENDING);      /* direction */
	put_slot(page, 3, IOREQ_PORTIO, IOREQ_READ, 0xffff, 4, 0, IOREQ_PENDING);     /* past 0xFFFF */
	put_slot(page, 4, IOREQ_PCICFG, IOREQ_READ, 0, 4, 0, IOREQ_PENDING);
	*(uint32_t *)(page + 4 * IOREQ_SLOT_SIZE + IOREQ_PCI_REG) = 0x102;            /* reg past 0xFF */
	put_slot(page, 5, IOREQ_MMIO, IOREQ_READ, ~0ull - 1, 4, 0, IOREQ_PENDING);    /* wraps */
	put_slot(page, 6, IOREQ_PORTIO, IOREQ_READ, IODEV_PORT_BASE, 4, 0, IOREQ_PENDING);
	*(uint32_t *)(page + 6 * IOREQ_SLOT_SIZE + IOREQ_POLLING) = 0;                /* wrong mode */
	put_slot(page, 7, IOREQ_PORTIO, IOREQ_READ, IODEV_PORT_BASE, 4, 0, IOREQ_PROCESSING);
	put_slot(page, 8, IOREQ_PORTIO, IOREQ_READ, IODEV_PORT_BASE, 4, 0, 0x1234);   /* no state */
	unsigned before = svc_self.st.rejected;
	unsigned n3 = iosvc_serve(&svc_self);
	bool all_ones = true;
	for (unsigned i = 0; i < 7; i++)
		all_ones = all_ones && slot_state(page, i) == IOREQ_COMPLETE &&
			   (uint32_t)slot_value(page, i) == 0xffffffffu;
	tg_check("uvm.ioreq-serve-rejects-hostile",
		 n3 == 7 && svc_self.st.rejected - before == 7 && all_ones &&
		 slot_state(page, 7) == IOREQ_PROCESSING && slot_state(page, 8) == 0x1234 &&
		 svc_self.st.served[IOREQ_PORTIO] == 0,
		 "completed %u, rejected %u, states %u %u", n3, svc_self.st.rejected - before,
		 slot_state(page, 7), slot_state(page, 8));
}

/* What a run served against what its User VM says it asked for. */
static bool served_as_asked(const struct iosvc *s, volatile struct uvm_mailbox *mb)
{
	return s->st.served[IOREQ_PORTIO] == mb->pio_requests &&
	       s->st.served[IOREQ_PCICFG] == mb->pci_requests &&
	       s->st.served[IOREQ_MMIO] == mb->mmio_requests && mb->pio_requests > 0 &&
	       mb->pci_requests > 0 && s->st.rejected == 0 && s->st.notify_failed == 0;
}

/*
 * A User VM `name` created with ACRN's polling flag, its payload in `mode`
 * on the 1 MiB at lent_gpa, IOREQ page `page`, started; `check` says whether
 * every step returned 0.
 */
static bool launch_polling(const char *check, const char *name, uint64_t lent_gpa, uint32_t mode,
			   void *page, uint16_t *id)
{
	load_payload(lent_gpa, mode);
	int64_t c = create_flags(name, ACRN_VM_FLAG_IO_COMPLETION_POLLING, id);
	int64_t l = c == 0 ? lend_at(*id, lent_gpa) : -1;
	start_state();
	int64_t g = c == 0 ? tg_hcall(HC_SET_VCPU_REGS, *id, (uint64_t)&regs) : -1;
	int64_t b = c == 0 ? set_ioreq_page(*id, page) : -1;
	int64_t s = (c | l | g | b) == 0 ? tg_hcall(HC_START_VM, *id, 0) : -1;
	if (c != 0)
		*id = 0;
	return tg_check(check, (c | l | g | b | s) == 0, "create %d, lend %d, regs %d, buffer %d, start %d",
			(int)c, (int)l, (int)g, (int)b, (int)s);
}

/*
 * A request that is never completed (issue 11's "never completes"): a User
 * VM (polling mode, so no upcall either) reads a port of the device once;
 * this guest sees the slot PENDING and leaves it. The vCPU stays parked,
 * the VM still pauses and is destroyed, and nothing else is disturbed
 * (made while vm1-vm3 exist: an id of its own, vm4, for the trace).
 */
static void test_stuck_run(void)
{
	volatile uint8_t *slot = ioreq_pages[2];
	uint16_t id = 0;
	bool ok = launch_polling("uvm.ioreq-stuck-launch", "uvm-stuck", LEND_STUCK_GPA, UVM_MODE_STUCK,
				 ioreq_pages[2], &id);
	volatile uint32_t *state = (volatile uint32_t *)(slot + IOREQ_STATE);
	unsigned n = 0;
	while (ok && n++ < POLL_MAX && poll(id) == 0 && st.state == VM_STATE_RUNNING &&
	       *state != IOREQ_PENDING)
		;
	/* Then a while longer: the request stays PENDING and the VM running, nobody completes. */
	for (unsigned k = 0; ok && k < QUIET_POLLS && poll(id) == 0; k++)
		;
	tg_check("uvm.ioreq-stuck-pending", ok && *state == IOREQ_PENDING &&
		 st.state == VM_STATE_RUNNING &&
		 *(volatile uint32_t *)(slot + IOREQ_TYPE) == IOREQ_PORTIO &&
		 *(volatile uint64_t *)(slot + IOREQ_ADDRESS) == IODEV_PORT_BASE,
		 "slot state %u, VM state %u", *state, st.state);
	int64_t p = ok ? tg_hcall(HC_PAUSE_VM, id, 0) : -1;
	tg_check("uvm.ioreq-stuck-pause", p == 0 && poll(id) == 0 && st.state == VM_STATE_PAUSED,
		 "rc %d, state %u", (int)p, st.state);
	int64_t d = id ? tg_hcall(HC_DESTROY_VM, id, 0) : -1;
	tg_check("uvm.ioreq-stuck-destroy", d == 0 && poll(id) == -ENOENT, "rc %d", (int)d);
}

/*
 * The polling run: a second User VM, created with ACRN's polling flag,
 * runs only its I/O checks. Its requests get no upcall; the loop serves
 * them between polls (see TG_POLL_FINISH_HYPERCALL for how they complete).
 */
static void test_poll_run(void)
{
	volatile struct uvm_mailbox *mb = mailbox_at(LEND_POLL_GPA);
	uint16_t id = 0;
	bool ok = launch_polling("uvm.ioreq-poll-launch", "uvm-poll", LEND_POLL_GPA, UVM_MODE_POLL,
				 ioreq_pages[1], &id);
	/* Nothing is served before the loop below: the serving state may follow the start. */
	iosvc_init(&svc_poll, ioreq_pages[1], id, true);
	svc_poll.finish_hypercall = TG_POLL_FINISH_HYPERCALL;

	/* IF = 1 with the upcall aimed at this run: an upcall Tern should not send is counted. */
	iosvc_set_upcall_target(&svc_poll);
	__asm__ volatile("sti" ::: "memory");
	unsigned n = 0;
	while (ok && n++ < POLL_MAX && poll(id) == 0 && st.state != VM_STATE_STOPPED)
		(void)iosvc_serve(&svc_poll);
	__asm__ volatile("cli" ::: "memory");
	iosvc_set_upcall_target((struct iosvc *)0);

	tg_check("uvm.ioreq-poll-exit-status", ok && st.state == VM_STATE_STOPPED &&
		 st.stop_cause == VM_STOP_GUEST_EXIT && st.exit_status == UVM_EXIT_OK,
		 "state %u, cause %u, status 0x%x (its checks: %u failed)", st.state, st.stop_cause,
		 st.exit_status, mb->failures);
	tg_check("uvm.ioreq-poll-served", served_as_asked(&svc_poll, mb) && svc_poll.st.upcalls == 0,
		 "served pio %u pci %u mmio %u of %u %u %u; rejected %u, upcalls %u",
		 svc_poll.st.served[IOREQ_PORTIO], svc_poll.st.served[IOREQ_PCICFG],
		 svc_poll.st.served[IOREQ_MMIO], mb->pio_requests, mb->pci_requests,
		 mb->mmio_requests, svc_poll.st.rejected, svc_poll.st.upcalls);
	test_stuck_run();
	int64_t d = id ? tg_hcall(HC_DESTROY_VM, id, 0) : -1;
	tg_check("uvm.ioreq-poll-destroy", d == 0 && poll(id) == -ENOENT, "rc %d", (int)d);
}

void tg_test_uvm(void)
{
	volatile struct uvm_mailbox *mb = mailbox_at(LEND_GPA);
	uint16_t id = 0, id2 = 0;

	if (!tg_env.tern) {
		skip_all("not under Tern");
		return;
	}
	test_serve_self();
	/* The User VM's RAM: zero (its .bss), the payload at UVM_LOAD_GPA. */
	load_payload(LEND_GPA, UVM_MODE_NOTIFY);

	bool ok = tg_check("uvm.create", create("uvm", &id) == 0 && id != 0, "vmid %u", id);
	ok = tg_check_eq("uvm.lend-memory", (uint64_t)lend(id), 0) && ok;
	start_state();
	ok = tg_check_eq("uvm.set-vcpu-regs", (uint64_t)tg_hcall(HC_SET_VCPU_REGS, id, (uint64_t)&regs), 0) && ok;
	/* Notification mode: its requests interrupt this vCPU on TG_UPCALL_VECTOR. */
	ok = tg_check_eq("uvm.ioreq-set-buffer", (uint64_t)set_ioreq_page(id, ioreq_pages[0]), 0) && ok;
	tg_check_eq("uvm.ioreq-callback-vector-refused",
		    (uint64_t)tg_hcall(HC_SET_CALLBACK_VECTOR, BAD_UPCALL_VECTOR, 0), (uint64_t)-EINVAL);
	ok = tg_check_eq("uvm.ioreq-callback-vector",
			 (uint64_t)tg_hcall(HC_SET_CALLBACK_VECTOR, TG_UPCALL_VECTOR, 0), 0) && ok;
	iosvc_init(&svc_notify, ioreq_pages[0], id, false);
	/* Completions of nothing: refused, nothing changes (the run below still passes). */
	tg_check_eq("uvm.ioreq-finish-nothing-pending",
		    (uint64_t)tg_hcall(HC_NOTIFY_REQUEST_FINISH, id, 0), (uint64_t)-EINVAL);
	tg_check_eq("uvm.ioreq-finish-no-such-vcpu",
		    (uint64_t)tg_hcall(HC_NOTIFY_REQUEST_FINISH, id, 1), (uint64_t)-EINVAL);
	svc_notify.probe.armed = true;   /* its first request: a misbehaving completion */
	/*
	 * The upcall arrives through this vCPU's local APIC, which accepts no
	 * fixed interrupt while software-disabled (SDM Vol. 3A 10.4.7.2): enable
	 * it first, as a Service VM kernel has before it registers a vector.
	 */
	if (!tg_lapic_setup())
		tg_printf("testguest: CPUID.1:EDX.APIC = 0: the upcall cannot arrive\n");
	iosvc_install_upcall(TG_UPCALL_VECTOR);
	iosvc_set_upcall_target(&svc_notify);
	__asm__ volatile("sti" ::: "memory");
	ok = tg_check_eq("uvm.start", (uint64_t)tg_hcall(HC_START_VM, id, 0), 0) && ok;
	if (!ok) {
		tg_fail("uvm.ioreq-notify-hlt-wakes", "not launched");
		tg_fail("uvm.runs", "not launched");
	} else {
		uint32_t before = svc_notify.st.upcalls;
		unsigned wakes = sleep_until_magic(mb);
		/* Woken by upcalls only: nothing else interrupts this guest under Tern. */
		tg_check("uvm.ioreq-notify-hlt-wakes", mb->magic == UVM_MAGIC && wakes > 0 &&
			 wakes <= svc_notify.st.upcalls - before,
			 "magic 0x%x, %u wake-ups, %u upcalls", mb->magic, wakes,
			 svc_notify.st.upcalls - before);
		tg_check("uvm.runs", wait_counter(id, mb, 0), "state %u, magic 0x%x, counter %u",
			 st.state, mb->magic, mb->counter);
	}

	/* HC_PAUSE_VM returns once the vCPU is out of guest mode: it spins no more. */
	int64_t r = tg_hcall(HC_PAUSE_VM, id, 0);
	tg_check("uvm.pause-vm", r == 0 && stays_still(id, mb, VM_STATE_PAUSED),
		 "rc %d, state %u", (int)r, st.state);
	r = tg_hcall(HC_TERN_RESUME_VM, id, 0);
	tg_check("uvm.resume-vm", r == 0 && wait_counter(id, mb, mb->counter), "rc %d, state %u",
		 (int)r, st.state);
	r = tg_hcall(HC_TERN_PAUSE_VCPU, id, 0);
	tg_check("uvm.pause-vcpu", r == 0 && stays_still(id, mb, VM_STATE_RUNNING),
		 "rc %d, state %u", (int)r, st.state);
	r = tg_hcall(HC_TERN_RESUME_VCPU, id, 0);
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
	__asm__ volatile("cli" ::: "memory");
	iosvc_set_upcall_target((struct iosvc *)0);
	tg_check("uvm.exit-status", st.state == VM_STATE_STOPPED && st.stop_cause == VM_STOP_GUEST_EXIT &&
		 st.exit_status == UVM_EXIT_OK,
		 "state %u, cause %u, status 0x%x (its checks: %u failed)", st.state, st.stop_cause,
		 st.exit_status, mb->failures);
	/* Every request came with an upcall and was served by its handler. */
	uint32_t total = iosvc_served_total(&svc_notify.st);
	tg_check("uvm.ioreq-notify-served",
		 served_as_asked(&svc_notify, mb) && svc_notify.st.upcalls > 0 &&
		 svc_notify.st.upcalls <= total && svc_notify.st.upcall_served == total,
		 "served pio %u pci %u mmio %u of %u %u %u; rejected %u, notify failed %u, "
		 "upcalls %u serving %u", svc_notify.st.served[IOREQ_PORTIO],
		 svc_notify.st.served[IOREQ_PCICFG], svc_notify.st.served[IOREQ_MMIO],
		 mb->pio_requests, mb->pci_requests, mb->mmio_requests, svc_notify.st.rejected,
		 svc_notify.st.notify_failed, svc_notify.st.upcalls, svc_notify.st.upcall_served);

	struct iosvc_probe *p = &svc_notify.probe;
	tg_check("uvm.ioreq-finish-misbehaving",
		 p->done && p->early_rc == -EBUSY && p->bad_size_rc == -EINVAL &&
		 (p->twice_rc == -EINVAL || p->twice_rc == -EBUSY),
		 "done %d, early %d, bad size %d, twice %d", p->done, (int)p->early_rc,
		 (int)p->bad_size_rc, (int)p->twice_rc);

	test_poll_run();

	r = tg_hcall(HC_DESTROY_VM, id, 0);
	tg_check("uvm.destroy", r == 0 && poll(id) == -ENOENT, "rc %d", (int)r);

	/*
	 * The Service VM never loses its own mapping of what it lends, so
	 * reading and writing it proves nothing; what destroy must give back is
	 * the page's ownership: no EPT or owner map holds it any more, and it
	 * can be lent again (refused while lent: uvm.relend-refused).
	 */
	r = c2 == 0 ? lend(id2) : -1;
	int64_t d2 = c2 == 0 ? tg_hcall(HC_DESTROY_VM, id2, 0) : -1;
	tg_check("uvm.relend-after-destroy", r == 0 && d2 == 0, "lend %d, destroy %d", (int)r, (int)d2);
}
