/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CPU is the oracle: every generated instruction runs natively on the
 * host against a buffer standing in for the MMIO region, and through
 * insn_decode + emul_execute against a copy of that buffer. GPRs, RIP,
 * RFLAGS (arithmetic flags and DF) and every byte of the buffer must agree.
 *
 * The native side runs in this 64-bit process: a stub is assembled per case
 * into an executable page (below 2 GiB, so that disp32, moffs32 and 32-bit
 * address-size forms reach the buffer) that loads the GPRs and RFLAGS,
 * executes the instruction and stores them back. RSP is never an operand
 * (the stub needs it); everything else is random: registers, flags,
 * immediates, displacements, prefixes (66, 67, REX.WRXB, ignored segment
 * overrides, LOCK, REP/REPNE), addressing forms (base, SIB, RIP-relative,
 * moffs) and the buffer's contents.
 *
 * The emulator runs on a vCPU of a VM whose CPUID policy is built from the
 * host's leaf 0, so it models the vendor it runs on. Outcomes the SDM leaves
 * undefined or the vendors produce differently are the quirks of
 * core/insn_vendor.h, and this test depends on these: rep-zero-count
 * (REP with a 32-bit address size and ECX = 0: Intel zeroes RCX[63:32], and
 * RSI/RDI[63:32] for MOVS/STOS; AMD does not), logic-af (AF after AND/OR/XOR/TEST), bt-zf and bt-osap (ZF and
 * OF/SF/AF/PF after BT*), repne-noncmp (F2 on MOVS/STOS/LODS). Each case
 * notes the quirks it meets; an outcome is compared where the table names the
 * host's vendor an oracle for it, and otherwise counted and reported, never
 * dropped silently: the output has a line per quirk with the cases met, and
 * how many differed.
 *
 * In 32-bit code only the low halves of the registers are compared: the
 * upper halves are undefined after a return to 64-bit mode (SDM Vol. 1
 * 3.4.1.1).
 */

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "unit.h"
#include "cpuid.h"
#include "insn_decode.h"
#include "insn_emulate.h"
#include "insn_flags.h"
#include "insn_vendor.h"
#include "err.h"
#include "sim.h"
#include "vcpu.h"
#include "vm.h"

#define MEMSZ 2048u
#define MAPSZ 8192u      /* mem: the buffer, then (compat runs) state and stack */
#define CODESZ 4096u

/*
 * 32-bit code runs in compatibility mode: a far jump to Linux's 32-bit
 * user code segment (0x23) and back to the 64-bit one (0x33), with the
 * flat user data segment (0x2b) in DS, ES and SS. Everything it touches
 * is below 4 GiB: the buffer, the register images and the stack in the
 * buffer mapping's second page, and the code page.
 *
 * Some hosts cannot run 32-bit code at all (paravirtualised guests such as
 * PVM reject the 32-bit code segment with #GP): the test probes with an
 * empty round trip first and reports the 32-bit part as SKIPPED there.
 *
 * 16-bit code would need a 16-bit code segment in the LDT (and a data
 * segment based at the buffer, as 16-bit offsets cannot reach it
 * otherwise); it is covered by the unit tests (test_mmio) instead.
 */
#define SEL_USER32_CS 0x23
#define SEL_USER_CS 0x33
#define SEL_USER_DS 0x2b
#define C_IN 0x1000u        /* offsets in mem: struct compat_state in, out */
#define C_OUT 0x1040u
#define C_STACK 0x1f00u
#define C_ENTRY 0x800u      /* offset of the compat stub in the code page */

struct compat_state {
	uint32_t r[8];
	uint32_t eflags;
};

struct cpu_state {
	uint64_t r[16];
	uint64_t rflags;
};

enum kind { K_MODRM, K_ACC_IMM, K_MOFFS, K_STRING };
enum undef { U_NONE, U_AF, U_BT };

struct form {
	char name[32];
	uint8_t map, opc;
	int8_t digit;        /* fixed ModRM.reg, or -1 */
	uint8_t kind;
	bool byte;
	uint8_t imm;         /* 0, 1 (imm8), 2 (imm16/32), 3 (uimm8) */
	bool lockable;
	bool memonly;
	bool bt_reg;         /* register bit offset addressing beyond the operand */
	bool no66;
	bool rep_ok;         /* string op: may take F3/F2 */
	uint8_t undef;
	bool reg_is_dst_only; /* ModRM.reg is not an operand (SETcc): any value */
	unsigned cases, bad;
};

#define MAX_FORMS 200
static struct form forms[MAX_FORMS];
static unsigned nforms;

static struct form *add_form(const char *name, uint8_t map, uint8_t opc, int digit, unsigned kind,
			     bool byte, unsigned imm)
{
	struct form *f = &forms[nforms++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->map = map;
	f->opc = opc;
	f->digit = (int8_t)digit;
	f->kind = (uint8_t)kind;
	f->byte = byte;
	f->imm = (uint8_t)imm;
	return f;
}

static void build_forms(void)
{
	static const char *alu[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
	char n[32];
	struct form *f;

	if (nforms)
		return;
	for (unsigned op = 0; op < 8; op++) {
		uint8_t b = (uint8_t)(op << 3);
		bool lk = op != 7;
		uint8_t u = (op == 1 || op == 4 || op == 6) ? U_AF : U_NONE;
		snprintf(n, sizeof(n), "%s Eb,Gb (%02x)", alu[op], b);
		f = add_form(n, 0, b, -1, K_MODRM, true, 0); f->lockable = lk; f->undef = u;
		snprintf(n, sizeof(n), "%s Ev,Gv (%02x)", alu[op], b + 1);
		f = add_form(n, 0, b + 1, -1, K_MODRM, false, 0); f->lockable = lk; f->undef = u;
		snprintf(n, sizeof(n), "%s Gb,Eb (%02x)", alu[op], b + 2);
		f = add_form(n, 0, b + 2, -1, K_MODRM, true, 0); f->undef = u;
		snprintf(n, sizeof(n), "%s Gv,Ev (%02x)", alu[op], b + 3);
		f = add_form(n, 0, b + 3, -1, K_MODRM, false, 0); f->undef = u;
		snprintf(n, sizeof(n), "%s AL,Ib (%02x)", alu[op], b + 4);
		f = add_form(n, 0, b + 4, -1, K_ACC_IMM, true, 1); f->undef = u;
		snprintf(n, sizeof(n), "%s rAX,Iz (%02x)", alu[op], b + 5);
		f = add_form(n, 0, b + 5, -1, K_ACC_IMM, false, 2); f->undef = u;
		snprintf(n, sizeof(n), "%s Eb,Ib (80 /%u)", alu[op], op);
		f = add_form(n, 0, 0x80, (int)op, K_MODRM, true, 1); f->lockable = lk; f->undef = u;
		snprintf(n, sizeof(n), "%s Ev,Iz (81 /%u)", alu[op], op);
		f = add_form(n, 0, 0x81, (int)op, K_MODRM, false, 2); f->lockable = lk; f->undef = u;
		snprintf(n, sizeof(n), "%s Ev,Ib (83 /%u)", alu[op], op);
		f = add_form(n, 0, 0x83, (int)op, K_MODRM, false, 1); f->lockable = lk; f->undef = u;
	}
	add_form("test Eb,Gb (84)", 0, 0x84, -1, K_MODRM, true, 0)->undef = U_AF;
	add_form("test Ev,Gv (85)", 0, 0x85, -1, K_MODRM, false, 0)->undef = U_AF;
	add_form("test Eb,Ib (f6 /0)", 0, 0xf6, 0, K_MODRM, true, 1)->undef = U_AF;
	add_form("test Ev,Iz (f7 /0)", 0, 0xf7, 0, K_MODRM, false, 2)->undef = U_AF;
	add_form("test AL,Ib (a8)", 0, 0xa8, -1, K_ACC_IMM, true, 1)->undef = U_AF;
	add_form("test rAX,Iz (a9)", 0, 0xa9, -1, K_ACC_IMM, false, 2)->undef = U_AF;
	add_form("mov Eb,Gb (88)", 0, 0x88, -1, K_MODRM, true, 0);
	add_form("mov Ev,Gv (89)", 0, 0x89, -1, K_MODRM, false, 0);
	add_form("mov Gb,Eb (8a)", 0, 0x8a, -1, K_MODRM, true, 0);
	add_form("mov Gv,Ev (8b)", 0, 0x8b, -1, K_MODRM, false, 0);
	add_form("mov Eb,Ib (c6 /0)", 0, 0xc6, 0, K_MODRM, true, 1);
	add_form("mov Ev,Iz (c7 /0)", 0, 0xc7, 0, K_MODRM, false, 2);
	add_form("mov AL,Ob (a0)", 0, 0xa0, -1, K_MOFFS, true, 0);
	add_form("mov rAX,Ov (a1)", 0, 0xa1, -1, K_MOFFS, false, 0);
	add_form("mov Ob,AL (a2)", 0, 0xa2, -1, K_MOFFS, true, 0);
	add_form("mov Ov,rAX (a3)", 0, 0xa3, -1, K_MOFFS, false, 0);
	f = add_form("movnti My,Gy (0f c3)", 1, 0xc3, -1, K_MODRM, false, 0);
	f->memonly = true; f->no66 = true;
	add_form("movzx Gv,Eb (0f b6)", 1, 0xb6, -1, K_MODRM, false, 0);
	add_form("movzx Gv,Ew (0f b7)", 1, 0xb7, -1, K_MODRM, false, 0);
	add_form("movsx Gv,Eb (0f be)", 1, 0xbe, -1, K_MODRM, false, 0);
	add_form("movsx Gv,Ew (0f bf)", 1, 0xbf, -1, K_MODRM, false, 0);
	add_form("movsxd Gv,Ed (63)", 0, 0x63, -1, K_MODRM, false, 0);
	f = add_form("xchg Eb,Gb (86)", 0, 0x86, -1, K_MODRM, true, 0); f->lockable = true;
	f = add_form("xchg Ev,Gv (87)", 0, 0x87, -1, K_MODRM, false, 0); f->lockable = true;
	static const char *bt[4] = { "bt", "bts", "btr", "btc" };
	static const uint8_t btop[4] = { 0xa3, 0xab, 0xb3, 0xbb };
	for (unsigned i = 0; i < 4; i++) {
		snprintf(n, sizeof(n), "%s Ev,Gv (0f %02x)", bt[i], btop[i]);
		f = add_form(n, 1, btop[i], -1, K_MODRM, false, 0);
		f->bt_reg = true; f->undef = U_BT; f->lockable = i != 0;
		snprintf(n, sizeof(n), "%s Ev,Ib (0f ba /%u)", bt[i], i + 4);
		f = add_form(n, 1, 0xba, (int)(i + 4), K_MODRM, false, 3);
		f->undef = U_BT; f->lockable = i != 0;
	}
	static const char *str[5] = { "movs", "cmps", "stos", "lods", "scas" };
	static const uint8_t strop[5] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
	for (unsigned i = 0; i < 5; i++) {
		snprintf(n, sizeof(n), "%sb (%02x)", str[i], strop[i]);
		add_form(n, 0, strop[i], -1, K_STRING, true, 0)->rep_ok = true;
		snprintf(n, sizeof(n), "%sv (%02x)", str[i], strop[i] + 1);
		add_form(n, 0, (uint8_t)(strop[i] + 1), -1, K_STRING, false, 0)->rep_ok = true;
	}
	static const char *un[4] = { "not", "neg", "inc", "dec" };
	for (unsigned i = 0; i < 4; i++) {
		uint8_t ob = i < 2 ? 0xf6 : 0xfe;
		int dg = i < 2 ? (int)i + 2 : (int)i - 2;
		snprintf(n, sizeof(n), "%s Eb (%02x /%d)", un[i], ob, dg);
		add_form(n, 0, ob, dg, K_MODRM, true, 0)->lockable = true;
		snprintf(n, sizeof(n), "%s Ev (%02x /%d)", un[i], ob + 1, dg);
		add_form(n, 0, (uint8_t)(ob + 1), dg, K_MODRM, false, 0)->lockable = true;
	}
	add_form("xadd Eb,Gb (0f c0)", 1, 0xc0, -1, K_MODRM, true, 0)->lockable = true;
	add_form("xadd Ev,Gv (0f c1)", 1, 0xc1, -1, K_MODRM, false, 0)->lockable = true;
	add_form("cmpxchg Eb,Gb (0f b0)", 1, 0xb0, -1, K_MODRM, true, 0)->lockable = true;
	add_form("cmpxchg Ev,Gv (0f b1)", 1, 0xb1, -1, K_MODRM, false, 0)->lockable = true;
	for (unsigned cc = 0; cc < 16; cc++) {
		snprintf(n, sizeof(n), "setcc Eb (0f %02x)", 0x90 + cc);
		add_form(n, 1, (uint8_t)(0x90 + cc), -1, K_MODRM, true, 0)->reg_is_dst_only = true;
	}
}

/* ---- randomness ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

/* Edge values carry, overflow and sign bugs hide behind; random otherwise. */
static uint64_t rnd_value(void)
{
	static const uint64_t edge[] = {
		0, 1, 2, ~0ull, ~0ull - 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
		0x0f, 0x10, 0xffffffffffffff80ull, 0xffffffffffff8000ull, 0xffffffff80000000ull,
	};
	if (rndn(4) == 0)
		return edge[rndn(sizeof(edge) / sizeof(edge[0]))];
	return rnd();
}

/* Inverse of an odd number modulo 2^64 (Newton). */
static uint64_t inv_odd(uint64_t a)
{
	uint64_t x = a;
	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

/* ---- the native side --------------------------------------------------------- */

static uint8_t *mem;          /* the "MMIO region" the native run uses */
static uint8_t *code;
static struct cpu_state nat_in, nat_out;
static sigjmp_buf nat_jmp;
static volatile sig_atomic_t nat_sig;

static void on_signal(int sig)
{
	nat_sig = sig;
	siglongjmp(nat_jmp, 1);
}

struct asm_buf {
	uint8_t *p;
	unsigned n;
};

static void emit(struct asm_buf *a, const void *b, unsigned n)
{
	memcpy(a->p + a->n, b, n);
	a->n += n;
}
static void emit1(struct asm_buf *a, uint8_t b) { emit(a, &b, 1); }
static void emit8(struct asm_buf *a, uint64_t v) { emit(a, &v, 8); }
static void emit4(struct asm_buf *a, uint32_t v) { emit(a, &v, 4); }

/* mov r, [rax+disp32] (load) or mov [rax+disp32], r (store). */
static void emit_reg_mem(struct asm_buf *a, unsigned r, bool store, unsigned disp)
{
	emit1(a, (uint8_t)(0x48 | ((r >> 3) << 2)));
	emit1(a, store ? 0x89 : 0x8b);
	emit1(a, (uint8_t)(0x80 | ((r & 7) << 3)));
	emit4(a, disp);
}

/* Assemble the stub; returns the address the instruction starts at. */
static uint8_t *build_stub(const uint8_t *insn, unsigned len)
{
	struct asm_buf a = { code, 0 };
	static const uint8_t push[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
	static const uint8_t pop[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b };
	uint8_t *at;

	emit(&a, push, sizeof(push));
	emit1(&a, 0x48); emit1(&a, 0xb8); emit8(&a, (uint64_t)(uintptr_t)&nat_in);
	/* push qword [rax+128]; popfq */
	emit1(&a, 0xff); emit1(&a, 0xb0); emit4(&a, 128);
	emit1(&a, 0x9d);
	for (unsigned r = 1; r < 16; r++)
		if (r != 4)
			emit_reg_mem(&a, r, false, 8 * r);
	emit_reg_mem(&a, 0, false, 0);
	at = code + a.n;
	emit(&a, insn, len);
	/* mov [moffs64], rax; mov rax, &nat_out */
	emit1(&a, 0x48); emit1(&a, 0xa3); emit8(&a, (uint64_t)(uintptr_t)&nat_out.r[0]);
	emit1(&a, 0x48); emit1(&a, 0xb8); emit8(&a, (uint64_t)(uintptr_t)&nat_out);
	for (unsigned r = 1; r < 16; r++)
		if (r != 4)
			emit_reg_mem(&a, r, true, 8 * r);
	/* pushfq; pop qword [rax+128]; cld */
	emit1(&a, 0x9c);
	emit1(&a, 0x8f); emit1(&a, 0x80); emit4(&a, 128);
	emit1(&a, 0xfc);
	emit(&a, pop, sizeof(pop));
	emit1(&a, 0xc3);
	return at;
}

/* Prologue length is fixed: the instruction always starts at the same place. */
static unsigned stub_insn_offset(void)
{
	static const uint8_t nop = 0x90;
	static unsigned off;
	if (!off)
		off = (unsigned)(build_stub(&nop, 1) - code);
	return off;
}

static int run_native(void)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)code;
	nat_sig = 0;
	if (sigsetjmp(nat_jmp, 1) == 0)
		fn();
	return nat_sig;
}

static uint64_t saved_rsp;

/* mov r32,[abs32] / mov [abs32],r32 in 32-bit code. */
static void emit_c_regmem(struct asm_buf *a, unsigned r, bool store, uint32_t abs)
{
	if (r == 0) {
		emit1(a, store ? 0xa3 : 0xa1);
	} else {
		emit1(a, store ? 0x89 : 0x8b);
		emit1(a, (uint8_t)((r << 3) | 5));
	}
	emit4(a, abs);
}

/*
 * A 64-bit trampoline at the start of the code page, the 32-bit stub at
 * C_ENTRY. Returns the address the instruction starts at.
 */
static uint8_t *build_stub_compat(const uint8_t *insn, unsigned len)
{
	static const uint8_t push[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57 };
	static const uint8_t pop[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b };
	struct asm_buf a = { code, 0 };
	uint32_t page = (uint32_t)(uintptr_t)code, m = (uint32_t)(uintptr_t)mem;
	uint32_t back, farptr_at, jmp_at;
	uint8_t *at;

	emit(&a, push, sizeof(push));
	emit1(&a, 0x48); emit1(&a, 0xb8); emit8(&a, (uint64_t)(uintptr_t)&saved_rsp);
	emit1(&a, 0x48); emit1(&a, 0x89); emit1(&a, 0x20);            /* mov [rax],rsp */
	emit1(&a, 0xb8); emit4(&a, SEL_USER_DS);                      /* mov eax,0x2b */
	emit1(&a, 0x8e); emit1(&a, 0xd8);                             /* mov ds,eax */
	emit1(&a, 0x8e); emit1(&a, 0xc0);                             /* mov es,eax */
	jmp_at = a.n;
	emit1(&a, 0xff); emit1(&a, 0x2d); emit4(&a, 0);               /* jmp far [rip+X] */
	back = a.n;
	emit1(&a, 0x31); emit1(&a, 0xc0);                             /* xor eax,eax */
	emit1(&a, 0x8e); emit1(&a, 0xd8);                             /* mov ds,eax */
	emit1(&a, 0x8e); emit1(&a, 0xc0);                             /* mov es,eax */
	emit1(&a, 0x48); emit1(&a, 0xb8); emit8(&a, (uint64_t)(uintptr_t)&saved_rsp);
	emit1(&a, 0x48); emit1(&a, 0x8b); emit1(&a, 0x20);            /* mov rsp,[rax] */
	emit1(&a, 0xfc);
	emit(&a, pop, sizeof(pop));
	emit1(&a, 0xc3);
	farptr_at = a.n;
	emit4(&a, page + C_ENTRY);
	emit1(&a, SEL_USER32_CS); emit1(&a, 0);
	{
		int32_t rel = (int32_t)(farptr_at - (jmp_at + 6));
		memcpy(code + jmp_at + 2, &rel, 4);
	}

	/* 32-bit: flags and registers in, the instruction, registers out, jump back */
	a.n = C_ENTRY;
	emit1(&a, 0xbc); emit4(&a, m + C_STACK);                      /* mov esp,stack */
	emit1(&a, 0xff); emit1(&a, 0x35); emit4(&a, m + C_IN + 32);  /* push dword [in.eflags] */
	emit1(&a, 0x9d);                                               /* popfd */
	for (unsigned r = 1; r < 8; r++)
		if (r != 4)
			emit_c_regmem(&a, r, false, m + C_IN + 4 * r);
	emit_c_regmem(&a, 0, false, m + C_IN);
	at = code + a.n;
	emit(&a, insn, len);
	for (unsigned r = 0; r < 8; r++)
		if (r != 4)
			emit_c_regmem(&a, r, true, m + C_OUT + 4 * r);
	emit1(&a, 0x9c);                                               /* pushfd */
	emit1(&a, 0x8f); emit1(&a, 0x05); emit4(&a, m + C_OUT + 32); /* pop dword [out.eflags] */
	emit1(&a, 0xea); emit4(&a, page + back);                      /* jmp far 0x33:back */
	emit1(&a, SEL_USER_CS); emit1(&a, 0);
	return at;
}

/* ---- the emulator side -------------------------------------------------------- */

struct tmem {
	uint64_t base;
	uint8_t data[MEMSZ];
	bool oob;
	unsigned accesses;
};

static int tm_read(void *opaque, uint64_t la, void *buf, unsigned len, unsigned acc,
		   struct guest_fault *f)
{
	struct tmem *m = opaque;
	(void)acc;
	if (la < m->base || la - m->base + len > MEMSZ) {
		m->oob = true;
		guest_fault_pf(f, 0, la);
		return -TERN_EFAULT;
	}
	memcpy(buf, m->data + (la - m->base), len);
	m->accesses++;
	return 0;
}

static int tm_write(void *opaque, uint64_t la, const void *buf, unsigned len,
		    struct guest_fault *f)
{
	struct tmem *m = opaque;
	if (la < m->base || la - m->base + len > MEMSZ) {
		m->oob = true;
		guest_fault_pf(f, 2, la);
		return -TERN_EFAULT;
	}
	memcpy(m->data + (la - m->base), buf, len);
	m->accesses++;
	return 0;
}

static const struct emul_ops tm_ops = { tm_read, tm_write };

/*
 * The VM the emulated vCPU belongs to: its CPUID policy is built from the
 * host's own leaf 0, so the emulator models the host's vendor.
 */
static struct vm host_vm;
static char host_vendor_str[13];

static void setup_host_vm(void)
{
	struct vm_config cfg = { .vcpu_count = 1 };
	uint32_t r[4];

	/* <cpuid.h> is shadowed by core/cpuid.h on the include path: the instruction itself. */
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(0), "c"(0));
	memcpy(host_vendor_str, &r[1], 4);
	memcpy(host_vendor_str + 4, &r[3], 4);
	memcpy(host_vendor_str + 8, &r[2], 4);
	sim_reset();
	sim_set_host_cpuid(0, 0, r);
	memset(&host_vm, 0, sizeof(host_vm));
	ck_assert_int_eq(cpuid_policy_build(&host_vm.cpuid, &cfg), 0);
}

static void vcpu_64bit(struct vcpu *v, const struct cpu_state *s, uint64_t rip)
{
	vcpu_init(v, &host_vm, 0);
	for (unsigned r = 0; r < 16; r++)
		vcpu_cache_fill(v, (enum vcpu_reg)r, s->r[r]);
	vcpu_cache_fill(v, VCPU_RIP, rip);
	vcpu_cache_fill(v, VCPU_RFLAGS, s->rflags);
	vcpu_cache_fill(v, VCPU_CR0, 0x80000011ull);
	vcpu_cache_fill(v, VCPU_CR4, 0x20);
	vcpu_cache_fill(v, VCPU_EFER, 0x500);
	struct seg_desc cs = { 0x33, 0, 0xffffffff, 0xa0fb };
	struct seg_desc ds = { 0x2b, 0, 0xffffffff, 0xc0f3 };
	for (unsigned sg = 0; sg < VCPU_SEG_COUNT; sg++)
		vcpu_cache_fill_seg(v, (enum vcpu_seg)sg, sg == VCPU_CS ? &cs : &ds);
}

/* Compatibility mode: EFER.LMA=1, CS.L=0, CS.D=1: 32-bit code, flat segments. */
static void vcpu_compat(struct vcpu *v, const struct cpu_state *s, uint64_t rip)
{
	vcpu_64bit(v, s, rip);
	struct seg_desc cs32 = { SEL_USER32_CS, 0, 0xffffffff, 0xc0fb };
	struct seg_desc ds = { SEL_USER_DS, 0, 0xffffffff, 0xc0f3 };
	vcpu_cache_fill_seg(v, VCPU_CS, &cs32);
	vcpu_cache_fill_seg(v, VCPU_DS, &ds);
	vcpu_cache_fill_seg(v, VCPU_ES, &ds);
	vcpu_cache_fill_seg(v, VCPU_SS, &ds);
}

/* ---- case generation ------------------------------------------------------------ */

/* The code size of the cases being generated and run. */
static enum insn_mode gmode = INSN_MODE_64;

struct gen {
	uint8_t b[32];
	unsigned n;
	int disp_at;        /* where a RIP-relative disp32 goes, or -1 */
	uint64_t rip_target;
	bool rex_any;
	unsigned quirks;    /* bit per enum insn_quirk the case meets */
};

/* Register usable as an operand: never RSP (SPL with REX). */
static bool reg_ok(unsigned r, bool byte, bool rex)
{
	if (r != 4)
		return true;
	return byte && !rex;   /* AH */
}

static void gen_case(struct form *f, struct gen *g, struct cpu_state *s, uint8_t *init)
{
	uint64_t base_addr = (uint64_t)(uintptr_t)mem;   /* flat segments: offset = address */
	bool w = false, opsz = false, adsz = false, lock = false;
	unsigned rexbits = 0, osize, nlegacy = 0;
	uint8_t legacy[6];
	bool use_rex;
	bool mod3 = false;
	unsigned reg = 0, mod = 0, rm = 0;

	memset(g, 0, sizeof(*g));
	g->disp_at = -1;
	for (unsigned r = 0; r < 16; r++)
		s->r[r] = rnd_value();
	s->rflags = 0x202 | (rnd() & RFL_ARITH);
	for (unsigned i = 0; i < MEMSZ; i += 8) {
		uint64_t v = rnd_value();
		memcpy(init + i, &v, 8);
	}

	/* Prefixes. */
	use_rex = gmode == INSN_MODE_64 && rndn(2);
	if (use_rex) {
		rexbits = rndn(16);
		w = rexbits & 8;
	}
	if (!f->byte && !f->no66 && rndn(3) == 0)
		opsz = true;
	if (f->byte && rndn(8) == 0)
		opsz = true;        /* no effect on byte operations */
	/* 67 in 32-bit code means 16-bit addresses, which cannot reach the buffer. */
	if (gmode == INSN_MODE_64 && rndn(4) == 0)
		adsz = true;
	osize = f->byte ? 1 : w ? 8 : (opsz != (gmode == INSN_MODE_16)) ? 2 : 4;
	unsigned asize = gmode == INSN_MODE_64 ? (adsz ? 4 : 8) :
			 (adsz != (gmode == INSN_MODE_16)) ? 2 : 4;
	if (opsz)
		legacy[nlegacy++] = 0x66;
	if (adsz)
		legacy[nlegacy++] = 0x67;
	if (rndn(6) == 0) {
		/* Overrides that change nothing: DS/ES/SS share a base (CS does in 64-bit). */
		static const uint8_t segs[4] = { 0x26, 0x36, 0x3e, 0x2e };
		legacy[nlegacy++] = segs[rndn(gmode == INSN_MODE_64 ? 4 : 3)];
	}
	if (f->kind == K_STRING && f->rep_ok && rndn(4) != 0)
		legacy[nlegacy++] = rndn(2) ? 0xf3 : 0xf2;
	/* shuffle legacy prefixes */
	for (unsigned i = nlegacy; i > 1; i--) {
		unsigned j = rndn(i);
		uint8_t t = legacy[i - 1];
		legacy[i - 1] = legacy[j];
		legacy[j] = t;
	}

	/* Does the form get a register r/m this time? */
	if (f->kind == K_MODRM && !f->memonly && rndn(10) == 0)
		mod3 = true;
	if (f->lockable && !mod3 && f->kind == K_MODRM && rndn(3) == 0)
		lock = true;

	if (lock)
		g->b[g->n++] = 0xf0;
	memcpy(g->b + g->n, legacy, nlegacy);
	g->n += nlegacy;
	if (use_rex)
		g->b[g->n++] = (uint8_t)(0x40 | rexbits);
	g->rex_any = use_rex;
	if (f->map == 1)
		g->b[g->n++] = 0x0f;
	g->b[g->n++] = f->opc;

	uint64_t amask = asize == 8 ? ~0ull : asize == 4 ? 0xffffffffull : 0xffffull;

	if (f->kind == K_MODRM) {
		unsigned regn;
		bool need_distinct = f->bt_reg;
		int base = -1, index = -1;
		unsigned scale = 0;
		int64_t disp = 0;
		unsigned disp_size = 0;
		uint64_t target;

		/* ModRM.reg */
		for (;;) {
			reg = f->digit >= 0 ? (unsigned)f->digit : rndn(8);
			regn = reg | ((rexbits & 4) << 1);
			if (f->digit >= 0 || f->reg_is_dst_only || reg_ok(regn, f->byte, use_rex))
				break;
		}
		if (mod3) {
			mod = 3;
			do
				rm = rndn(8);
			while (!reg_ok(rm | ((rexbits & 1) << 3), f->byte, use_rex));
			g->b[g->n++] = (uint8_t)(0xc0 | (reg << 3) | rm);
		} else {
			unsigned form = rndn(5);
			mod = rndn(3);
			if (form == 0 && gmode != INSN_MODE_64) {
				/* no RIP-relative outside 64-bit mode: [disp32] */
				mod = 0; rm = 5;
			} else if (form == 0) {          /* RIP-relative */
				mod = 0; rm = 5;
			} else if (form <= 2) {          /* base register, no SIB */
				do {
					rm = rndn(8);
				} while (rm == 4 || (rm == 5 && mod == 0));
				base = (int)(rm | ((rexbits & 1) << 3));
			} else {                         /* SIB */
				unsigned sb, si;
				rm = 4;
				scale = rndn(4);
				do {
					sb = rndn(8);
				} while (sb == 4 && !(rexbits & 1));
				si = rndn(8);
				unsigned idx = si | ((rexbits & 2) << 2);
				if (idx != 4)
					index = (int)idx;
				if (sb == 5 && mod == 0)
					base = -1;
				else
					base = (int)(sb | ((rexbits & 1) << 3));
				g->b[g->n + 1] = (uint8_t)((scale << 6) | (si << 3) | sb);
			}
			if (need_distinct && ((int)regn == base || (int)regn == index)) {
				/* retry the whole case with a different register */
				gen_case(f, g, s, init);
				return;
			}
			g->b[g->n++] = (uint8_t)((mod << 6) | (reg << 3) | rm);
			if (rm == 4)
				g->n++;
			if (mod == 1)
				disp_size = 1;
			else if (mod == 2 || (mod == 0 && rm == 5) || (rm == 4 && base < 0))
				disp_size = 4;

			/* Where the operand is. */
			if (f->bt_reg) {
				unsigned lg = osize == 2 ? 4 : osize == 4 ? 5 : 6;
				int64_t bitoff = (int64_t)rndn(2 * 8 * 380) - 8 * 380;
				target = base_addr + 512;
				s->r[regn] = (s->r[regn] & ~((osize == 8) ? ~0ull : ((1ull << (8 * osize)) - 1))) |
					     ((uint64_t)bitoff & ((osize == 8) ? ~0ull : ((1ull << (8 * osize)) - 1)));
				(void)lg;
			} else {
				target = base_addr + (rndn(MEMSZ - 8) & (rndn(2) ? ~7u : ~0u));
			}
			if (disp_size == 1)
				disp = (int8_t)rnd();
			else if (disp_size == 4)
				disp = (int32_t)(rnd() & 0xfffff) - 0x80000;

			if (mod == 0 && rm == 5 && gmode == INSN_MODE_64) {
				g->disp_at = (int)g->n;
				g->rip_target = target;
			} else if (base < 0) {
				/* disp32 only (+ index): the sum must fit a signed disp32 */
				uint64_t iv = rndn(1000);
				if (index >= 0)
					s->r[index] = iv;
				else
					iv = 0;
				disp = (int64_t)(target - (iv << scale));
			} else {
				uint64_t m = amask;
				uint64_t want = (target - (uint64_t)disp) & m;
				if (index >= 0 && index == base) {
					uint64_t k = 1 + (1ull << scale);
					if (!(k & 1)) {
						if (want & 1) {      /* 2v = want needs an even sum */
							target += 1;
							want = (target - (uint64_t)disp) & m;
						}
						s->r[base] = want / 2;
					} else {
						s->r[base] = (want * inv_odd(k)) & m;
					}
					if (asize == 4)
						s->r[base] |= rnd() << 32;
				} else {
					uint64_t iv = 0;
					if (index >= 0) {
						iv = rnd();
						s->r[index] = iv;
					}
					s->r[base] = (want - (iv << scale)) & m;
					if (asize == 4)
						s->r[base] |= rnd() << 32;
				}
			}
			if (disp_size == 1)
				g->b[g->n++] = (uint8_t)disp;
			else if (disp_size == 4) {
				uint32_t d = (uint32_t)disp;
				memcpy(g->b + g->n, &d, 4);
				g->n += 4;
			}
		}
	} else if (f->kind == K_MOFFS) {
		uint64_t target = base_addr + (rndn(MEMSZ - 8) & (rndn(2) ? ~7u : ~0u));
		memcpy(g->b + g->n, &target, asize);
		g->n += asize;
	} else if (f->kind == K_STRING) {
		uint64_t m = amask;
		unsigned cnt = rndn(48);
		bool df = rndn(3) == 0;
		if (df)
			s->rflags |= RFL_DF;
		/* source in the first half, destination in the second */
		uint64_t src = base_addr + 400 + rndn(100);
		uint64_t dst = base_addr + 1400 + rndn(100);
		s->r[VCPU_RSI] = (rnd() & ~m) | (src & m);
		s->r[VCPU_RDI] = (rnd() & ~m) | (dst & m);
		s->r[VCPU_RCX] = (rnd() & ~m) | (cnt & m);
		if (rndn(4) == 0)           /* equal runs for CMPS/SCAS */
			memcpy(init + (dst - base_addr), init + (src - base_addr), 64);
		if (rndn(3) == 0)
			memset(init + (dst - base_addr), (int)(s->r[VCPU_RAX] & 0xff), 64);
		for (unsigned i = 0; i < nlegacy; i++) {
			if (legacy[i] != 0xf3 && legacy[i] != 0xf2)
				continue;
			if (asize == 4 && cnt == 0)
				g->quirks |= 1u << INSN_QUIRK_REP_ZERO_COUNT;
			if (legacy[i] == 0xf2 && f->opc != 0xa6 && f->opc != 0xa7 &&
			    f->opc != 0xae && f->opc != 0xaf)
				g->quirks |= 1u << INSN_QUIRK_REPNE_NONCMP;
		}
	}
	if (f->undef == U_AF)
		g->quirks |= 1u << INSN_QUIRK_LOGIC_AF;
	else if (f->undef == U_BT)
		g->quirks |= (1u << INSN_QUIRK_BT_ZF) | (1u << INSN_QUIRK_BT_OSAP);

	/* Immediate. */
	if (f->imm) {
		unsigned isz = f->imm == 2 ? (osize == 2 ? 2 : 4) : 1;
		uint64_t iv = rnd_value();
		memcpy(g->b + g->n, &iv, isz);
		g->n += isz;
	}
	(void)mod;
	if (g->n > INSN_MAX_LEN)      /* the CPU raises #GP: draw again */
		gen_case(f, g, s, init);
}

static void fill_rip_disp(struct gen *g, uint64_t insn_addr)
{
	if (g->disp_at < 0)
		return;
	int64_t d = (int64_t)(g->rip_target - (insn_addr + g->n));
	int32_t d32 = (int32_t)d;
	memcpy(g->b + g->disp_at, &d32, 4);
}

static char mismatch_log[4096];

static void note_mismatch(const struct form *f, const struct gen *g, const char *what)
{
	size_t l = strlen(mismatch_log);
	if (l > sizeof(mismatch_log) - 200)
		return;
	l += (size_t)snprintf(mismatch_log + l, sizeof(mismatch_log) - l, "%s: %s; bytes", f->name, what);
	for (unsigned i = 0; i < g->n; i++)
		l += (size_t)snprintf(mismatch_log + l, sizeof(mismatch_log) - l, " %02x", g->b[i]);
	for (unsigned q = 0; q < INSN_QUIRK_COUNT; q++)
		if (g->quirks & (1u << q))
			l += (size_t)snprintf(mismatch_log + l, sizeof(mismatch_log) - l,
					      "; vendor quirk %s", insn_quirk_info((enum insn_quirk)q)->name);
	snprintf(mismatch_log + l, sizeof(mismatch_log) - l, "\n");
}

/* Per quirk, per run: cases that met it, and of those where it was not compared, how many differed. */
static struct { unsigned met, differed; } quirk_stat[INSN_QUIRK_COUNT];

static bool host_oracle(enum insn_quirk q)
{
	return insn_quirk_info(q)->host_oracle[host_vm.cpuid.vendor];
}

/*
 * The RFLAGS bits the case's quirks make incomparable on this host (their
 * quirk has no oracle of the host's vendor); registers and memory quirks
 * without an oracle are handled in run_case.
 */
static uint64_t uncompared_rflags(const struct gen *g)
{
	uint64_t m = 0;
	for (unsigned q = 0; q < INSN_QUIRK_COUNT; q++)
		if ((g->quirks & (1u << q)) && !host_oracle((enum insn_quirk)q))
			m |= insn_quirk_info((enum insn_quirk)q)->rflags;
	return m;
}

/* A mismatch in a case whose register/memory quirk has no oracle here: count it, do not fail. */
static bool unoracled_state_quirk(const struct gen *g)
{
	bool any = false;
	for (unsigned q = 0; q < INSN_QUIRK_COUNT; q++) {
		const struct insn_quirk_info *e = insn_quirk_info((enum insn_quirk)q);
		if ((g->quirks & (1u << q)) && !e->rflags && !host_oracle((enum insn_quirk)q)) {
			quirk_stat[q].differed++;
			any = true;
		}
	}
	return any;
}

static uint8_t init_mem[MEMSZ];
static struct tmem emem;

/* One case; returns true when native and emulated agree. */
static bool run_case(struct form *f)
{
	struct gen g;
	struct cpu_state s;
	struct vcpu v;
	struct insn in;
	struct emul_ctx c;
	uint8_t *at;
	char why[200];
	int rc;

	bool compat = gmode != INSN_MODE_64;
	uint64_t rip, rmask = compat ? 0xffffffffull : ~0ull;

	gen_case(f, &g, &s, init_mem);
	for (unsigned q = 0; q < INSN_QUIRK_COUNT; q++)
		if (g.quirks & (1u << q))
			quirk_stat[q].met++;
	if (compat) {
		struct compat_state cin;
		at = build_stub_compat(g.b, g.n);
		rip = (uint64_t)(uintptr_t)at;
		for (unsigned r = 0; r < 8; r++)
			cin.r[r] = (uint32_t)s.r[r];
		cin.eflags = (uint32_t)s.rflags;
		memcpy(mem + C_IN, &cin, sizeof(cin));
		memset(mem + C_OUT, 0, sizeof(struct compat_state));
	} else {
		at = code + stub_insn_offset();
		rip = (uint64_t)(uintptr_t)at;
		fill_rip_disp(&g, rip);
		build_stub(g.b, g.n);
		nat_in = s;
	}

	/* native */
	memcpy(mem, init_mem, MEMSZ);
	memset(&nat_out, 0, sizeof(nat_out));
	if (run_native() != 0) {
		note_mismatch(f, &g, "native execution faulted (generator bug)");
		return false;
	}
	if (compat) {
		struct compat_state cout;
		memcpy(&cout, mem + C_OUT, sizeof(cout));
		for (unsigned r = 0; r < 8; r++)
			nat_out.r[r] = cout.r[r];
		nat_out.rflags = cout.eflags;
	}

	/* emulated */
	memcpy(emem.data, init_mem, MEMSZ);
	emem.base = (uint64_t)(uintptr_t)mem;
	emem.oob = false;
	if (compat)
		vcpu_compat(&v, &s, rip);
	else
		vcpu_64bit(&v, &s, rip);
	emul_ctx_init(&c, &v, &tm_ops, &emem);
	if (c.mode != gmode) {
		note_mismatch(f, &g, "emul_ctx_init chose the wrong code size");
		return false;
	}
	rc = insn_decode(g.b, g.n, c.mode, &in);
	if (rc != 0) {
		snprintf(why, sizeof(why), "decode failed %d", rc);
		note_mismatch(f, &g, why);
		return false;
	}
	if (in.len != g.n) {
		snprintf(why, sizeof(why), "decoded length %u, generated %u", in.len, g.n);
		note_mismatch(f, &g, why);
		return false;
	}
	rc = emul_execute(&c, &in);
	if (rc != 0 || c.rep_pending) {
		snprintf(why, sizeof(why), "emulation failed rc=%d vector=%u oob=%d", rc,
			 c.fault.vector, emem.oob);
		note_mismatch(f, &g, why);
		return false;
	}
	for (unsigned r = 0; r < (compat ? 8u : 16u); r++) {
		if (r == 4)
			continue;
		if ((vcpu_get_reg(&v, (enum vcpu_reg)r) & rmask) != nat_out.r[r]) {
			if (unoracled_state_quirk(&g))
				return true;
			snprintf(why, sizeof(why), "r%u: native %016llx emulated %016llx (was %016llx)", r,
				 (unsigned long long)nat_out.r[r],
				 (unsigned long long)vcpu_get_reg(&v, (enum vcpu_reg)r),
				 (unsigned long long)s.r[r]);
			note_mismatch(f, &g, why);
			return false;
		}
	}
	uint64_t skip = uncompared_rflags(&g);
	uint64_t fmask = (RFL_ARITH | RFL_DF) & ~skip;
	uint64_t ef = vcpu_get_reg(&v, VCPU_RFLAGS);
	for (unsigned q = 0; q < INSN_QUIRK_COUNT; q++) {
		const struct insn_quirk_info *e = insn_quirk_info((enum insn_quirk)q);
		if ((g.quirks & (1u << q)) && (e->rflags & skip) && ((ef ^ nat_out.rflags) & e->rflags))
			quirk_stat[q].differed++;
	}
	if ((ef ^ nat_out.rflags) & fmask) {
		snprintf(why, sizeof(why), "rflags: native %llx emulated %llx (was %llx)",
			 (unsigned long long)nat_out.rflags, (unsigned long long)ef,
			 (unsigned long long)s.rflags);
		note_mismatch(f, &g, why);
		return false;
	}
	if (vcpu_get_reg(&v, VCPU_RIP) != rip + g.n) {
		note_mismatch(f, &g, "RIP not advanced by the length");
		return false;
	}
	if (memcmp(mem, emem.data, MEMSZ) != 0) {
		unsigned i = 0;
		if (unoracled_state_quirk(&g))
			return true;
		while (mem[i] == emem.data[i])
			i++;
		snprintf(why, sizeof(why), "memory differs at +%u: native %02x emulated %02x", i,
			 mem[i], emem.data[i]);
		note_mismatch(f, &g, why);
		return false;
	}
	return true;
}

static void setup_native(void)
{
	if (mem)
		return;
	mem = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	code = mmap(NULL, CODESZ, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_ptr_ne(code, MAP_FAILED);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	setup_host_vm();
	const char *seed = getenv("TERN_EMUL_SEED");
	if (seed)
		rng_state = strtoull(seed, NULL, 0) | 1;
	build_forms();
}

#define CASES_PER_FORM 1000u
#define CASES_PER_FORM_COMPAT 400u

/* MOVSXD does not exist outside 64-bit mode (63 is ARPL there). */
static bool form_in_mode(const struct form *f, enum insn_mode m)
{
	return m == INSN_MODE_64 || f->map != 0 || f->opc != 0x63;
}

static const char *vendor_label(enum cpuid_vendor vd)
{
	return vd == CPUID_VENDOR_INTEL ? "Intel" : vd == CPUID_VENDOR_AMD ? "AMD" :
	       "another vendor (Intel's behaviour)";
}

/* One line per vendor quirk: what this run's oracle says about it. */
static void print_quirks(const char *what)
{
	enum cpuid_vendor vd = host_vm.cpuid.vendor;

	printf("emul-native: host \"%s\": the emulator models %s (%s code)\n", host_vendor_str,
	       vendor_label(vd), what);
	for (unsigned q = 0; q < INSN_QUIRK_COUNT; q++) {
		const struct insn_quirk_info *e = insn_quirk_info((enum insn_quirk)q);
		if (host_oracle((enum insn_quirk)q))
			printf("emul-native: vendor quirk %-18s %6u cases, compared (%s)\n", e->name,
			       quirk_stat[q].met, e->model);
		else
			printf("emul-native: vendor quirk %-18s %6u cases, NOT compared: no %s oracle "
			       "(%s); %u differed from the model (%s)\n", e->name, quirk_stat[q].met,
			       vendor_label(vd), e->what, quirk_stat[q].differed, e->model);
	}
}

static unsigned run_mode(enum insn_mode m, unsigned per_form, const char *what)
{
	unsigned total = 0, bad = 0, n = 0;

	gmode = m;
	mismatch_log[0] = '\0';
	memset(quirk_stat, 0, sizeof(quirk_stat));
	for (unsigned i = 0; i < nforms; i++) {
		struct form *f = &forms[i];
		f->cases = f->bad = 0;
		if (!form_in_mode(f, m))
			continue;
		n++;
		for (unsigned k = 0; k < per_form; k++) {
			f->cases++;
			if (!run_case(f))
				f->bad++;
		}
		total += f->cases;
		bad += f->bad;
	}
	printf("emul-native: %u forms, %u cases, %u mismatches (%s code)\n", n, total, bad, what);
	print_quirks(what);
	for (unsigned i = 0; i < nforms; i++)
		if (forms[i].cases)
			printf("  %-28s %6u cases %4u mismatches\n", forms[i].name, forms[i].cases,
			       forms[i].bad);
	if (bad)
		printf("%s", mismatch_log);
	fflush(stdout);
	ck_assert_msg(bad == 0, "%u mismatches in %s code; first ones:\n%s", bad, what, mismatch_log);
	return total;
}

START_TEST(native_differential)
{
	setup_native();
	ck_assert_uint_ge(run_mode(INSN_MODE_64, CASES_PER_FORM, "64-bit"), 100000);
}
END_TEST

/* Can this host run 32-bit code? A round trip through an empty stub. */
static bool compat_mode_works(void)
{
	static const uint8_t nop = 0x90;
	build_stub_compat(&nop, 1);
	return run_native() == 0;
}

START_TEST(native_differential_compat)
{
	setup_native();
	if (getenv("TERN_EMUL_DUMP_COMPAT")) {   /* for checking the stub's encoding */
		static const uint8_t probe[] = { 0x01, 0x03 };
		build_stub_compat(probe, sizeof(probe));
		FILE *fp = fopen(getenv("TERN_EMUL_DUMP_COMPAT"), "wb");
		if (fp) {
			fwrite(code, 1, CODESZ, fp);
			fclose(fp);
		}
		printf("code page at %p, mem at %p\n", (void *)code, (void *)mem);
	}
	if (!compat_mode_works()) {
		printf("emul-native: 32-bit code SKIPPED: this host refuses the 32-bit code segment\n");
		fflush(stdout);
		return;
	}
	ck_assert_uint_ge(run_mode(INSN_MODE_32, CASES_PER_FORM_COMPAT, "32-bit"), 50000);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("emul_native");
	TCase *tc = tcase_create("differential");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, native_differential);
	tcase_add_test(tc, native_differential_compat);
	suite_add_tcase(s, tc);
	return s;
}
