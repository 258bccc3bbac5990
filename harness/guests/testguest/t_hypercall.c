/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hypercalls with ACRN's ABI: VMCALL with the id in R8, parameters in RDI
 * and RSI, the result in RAX (0 or a negative errno). The whole 64-bit id
 * is validated, not just its low byte; only CPL0 may call (SDM Vol. 3C
 * 26.1.3: VMCALL always exits in VMX non-root operation, whatever the CPL,
 * so the CPL check is Tern's). Natively VMCALL outside VMX operation is #UD
 * (SDM Vol. 2B, VMCALL), which the CPL3 check accepts too.
 */
#include "guest.h"

#define HC_GET_API_VERSION 0x80000000ull	/* ACRN: HC_ID 0x80, general group, 0x00 */
#define HC_UNKNOWN 0x800000FFull
#define API_MAJOR 1u
#define API_MINOR 0u
#define ENOTTY 25
#define SENTINEL 0xA5A5A5A5u

struct regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8, r9, r10;
};

static uint8_t user_stack[4096] __attribute__((aligned(16)));

/* VMCALL with the given registers; all listed registers come back. */
static void vmcall(struct regs *r)
{
	register uint64_t r8v __asm__("r8") = r->r8;
	register uint64_t r9v __asm__("r9") = r->r9;
	register uint64_t r10v __asm__("r10") = r->r10;

	__asm__ volatile("vmcall"
			 : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx), "+S"(r->rsi),
			   "+D"(r->rdi), "+r"(r8v), "+r"(r9v), "+r"(r10v)
			 :
			 : "memory", "r11", "cc");
	r->r8 = r8v;
	r->r9 = r9v;
	r->r10 = r10v;
}

static void fill(struct regs *r, uint64_t id, void *p1)
{
	r->rax = 0x1111111111111111ull;
	r->rbx = 0x2222222222222222ull;
	r->rcx = 0x3333333333333333ull;
	r->rdx = 0x4444444444444444ull;
	r->rsi = 0;
	r->rdi = (uint64_t)p1;
	r->r8 = id;
	r->r9 = 0x9999999999999999ull;
	r->r10 = 0xAAAAAAAAAAAAAAAAull;
}

static bool others_kept(const struct regs *a, const struct regs *b)
{
	return a->rbx == b->rbx && a->rcx == b->rcx && a->rdx == b->rdx && a->rsi == b->rsi &&
	       a->rdi == b->rdi && a->r8 == b->r8 && a->r9 == b->r9 && a->r10 == b->r10;
}

static void rejected(const char *name, uint64_t id)
{
	uint32_t buf[4] = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
	struct regs in, r;

	fill(&in, id, buf);
	r = in;
	vmcall(&r);
	tg_check(name, (int64_t)r.rax == -ENOTTY && buf[0] == SENTINEL && buf[1] == SENTINEL,
		 "id 0x%lx: RAX %ld, want %d (-ENOTTY); buffer %x %x (must stay %x)", id,
		 (int64_t)r.rax, -ENOTTY, buf[0], buf[1], SENTINEL);
}

/* VMCALL from CPL3 (SDM Vol. 3A 6.14.1 for the IRETQ to CPL3). */
static void cpl3_vmcall(void)
{
	uint32_t buf[2] = { SENTINEL, SENTINEL };
	struct tg_fault f;
	uint64_t at;

	tg_fault_begin();
	__asm__ volatile(TG_ARM
			 "mov %%rsp, tg_fixup_rsp(%%rip)\n\t"
			 "lea 0f(%%rip), %0\n\t"
			 "mov %1, %%r8\n\t"
			 "pushq %3\n\t"
			 "pushq %2\n\t"
			 "pushq $0x2\n\t"
			 "pushq %4\n\t"
			 "pushq %0\n\t"
			 "iretq\n"
			 "0:\tvmcall\n\t"
			 "ud2"
			 TG_LAND
			 "mov %5, %%eax\n\t"
			 "mov %%eax, %%ds\n\t"
			 "mov %%eax, %%es"
			 : "=&r"(at)
			 : "i"(HC_GET_API_VERSION), "r"((uint64_t)(user_stack + sizeof(user_stack))),
			   "i"(TG_UDATA | 3), "i"(TG_UCODE | 3), "i"(TG_KDATA), "D"(buf)
			 : "rax", "r8", "r11", "memory");
	f = tg_fault_end();
	tg_check("hcall.cpl3-refused",
		 f.hit && (f.vector == TG_EXC_UD || f.vector == TG_EXC_GP) && f.error == 0 &&
			 f.rip == at && (f.cs & 3) == 3 && buf[0] == SENTINEL && buf[1] == SENTINEL,
		 "%s vector %lu error 0x%lx rip 0x%lx cs 0x%lx (VMCALL at 0x%lx), buffer %x %x",
		 f.hit ? "got" : "no fault;", f.vector, f.error, f.rip, f.cs, at, buf[0], buf[1]);
}

void tg_test_hypercall(void)
{
	uint32_t ver[4] = { SENTINEL, SENTINEL, SENTINEL, SENTINEL };
	struct regs in, r;

	cpl3_vmcall();
	if (!tg_env.tern) {
		tg_skip("hcall.get-api-version", "not under Tern");
		tg_skip("hcall.preserves-registers", "not under Tern");
		tg_skip("hcall.unknown-id", "not under Tern");
		tg_skip("hcall.low-byte-only-0x00000000", "not under Tern");
		tg_skip("hcall.low-byte-only-0x7f000000", "not under Tern");
		tg_skip("hcall.high-bits-0x180000000", "not under Tern");
		tg_skip("hcall.bad-gpa", "not under Tern");
		return;
	}
	fill(&in, HC_GET_API_VERSION, ver);
	r = in;
	vmcall(&r);
	tg_check("hcall.get-api-version",
		 r.rax == 0 && ver[0] == API_MAJOR && ver[1] == API_MINOR && ver[2] == SENTINEL,
		 "RAX %ld, version %u.%u (want %u.%u), byte 8.. 0x%x (must stay 0x%x)", (int64_t)r.rax,
		 ver[0], ver[1], API_MAJOR, API_MINOR, ver[2], SENTINEL);
	tg_check("hcall.preserves-registers", others_kept(&in, &r),
		 "RBX %lx RCX %lx RDX %lx RSI %lx RDI %lx R8 %lx R9 %lx R10 %lx", r.rbx, r.rcx, r.rdx,
		 r.rsi, r.rdi, r.r8, r.r9, r.r10);

	rejected("hcall.unknown-id", HC_UNKNOWN);
	rejected("hcall.low-byte-only-0x00000000", 0x00000000ull);
	rejected("hcall.low-byte-only-0x7f000000", 0x7F000000ull);
	rejected("hcall.high-bits-0x180000000", 0x180000000ull);

	/* A parameter pointing outside guest RAM: an error, no write, no crash. */
	fill(&in, HC_GET_API_VERSION, (void *)0xFFFFFFF000ull);
	r = in;
	vmcall(&r);
	tg_check("hcall.bad-gpa", (int64_t)r.rax < 0, "RAX %ld for RDI 0xfffffff000", (int64_t)r.rax);
}
