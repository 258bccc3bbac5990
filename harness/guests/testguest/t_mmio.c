/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MMIO to Tern's test device at GPA 0xC0000000 (docs/testguest.md):
 *   +0x000 ID (32-bit, RO) = 0x4E524554 ("TERN")
 *   +0x008 version (32-bit, RO) = 1
 *   +0x010 access counter (64-bit, RO)
 *   +0x100..0xFFF scratch: each byte holds the last value written to it
 * The CPU is the oracle: every instruction form runs once on a RAM page and
 * once on the device, from the same registers and RFLAGS, and registers,
 * arithmetic flags and memory must come out the same. Not under Tern, the
 * guest maps the linear address 0xC0000000 to ordinary RAM and runs the
 * same cases there: a check of this harness, the moffs forms included.
 */
#include "guest.h"

#define DEV_BASE ((uint64_t)0xC0000000)
#define DEV_ID 0x000
#define DEV_VERSION 0x008
#define DEV_COUNTER 0x010
#define DEV_ID_VALUE 0x4E524554u
#define SCRATCH_LO 0x100
#define SCRATCH_HI 0x200		/* the part the cases use */
#define AUX_SIZE 128
/* CF PF AF ZF SF DF OF (SDM Vol. 1 3.4.3) */
#define FLAGS_MASK ((uint64_t)0x0CD5)
#define CF ((uint64_t)0x1)
#define FL0 ((uint64_t)0x2)			/* reserved bit 1 is always 1 */

struct st {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, r11, fl;
};

typedef void (*op_fn)(volatile uint8_t *base, uint8_t *aux, struct st *s);

static uint8_t ram_a[4096] __attribute__((aligned(4096)));
static uint8_t aux_a[AUX_SIZE], aux_b[AUX_SIZE];

/*
 * One instruction form. r9 = base of the page (RAM or device), r10 = a
 * RAM buffer for the other side of string moves, r8 carries RFLAGS in and
 * out. "post" runs after RFLAGS are captured and turns base-relative
 * pointers back into offsets so the two runs compare equal.
 */
#define OP(fname, insn, post)                                                                   \
	static void fname(volatile uint8_t *base, uint8_t *auxp, struct st *s)                  \
	{                                                                                       \
		register uint64_t fl __asm__("r8") = s->fl;                                     \
		register volatile uint8_t *b __asm__("r9") = base;                              \
		register uint8_t *x __asm__("r10") = auxp;                                      \
		register uint64_t r11 __asm__("r11") = s->r11;                                  \
		__asm__ volatile("pushq %%r8\n\tpopfq\n\t" insn "\n\tpushfq\n\tpopq %%r8\n\t" post \
				 : "+a"(s->rax), "+b"(s->rbx), "+c"(s->rcx), "+d"(s->rdx),      \
				   "+S"(s->rsi), "+D"(s->rdi), "+r"(fl), "+r"(r11)              \
				 : "r"(b), "r"(x)                                               \
				 : "memory", "cc");                                             \
		s->fl = fl;                                                                     \
		s->r11 = r11;                                                                   \
	}

/*
 * moffs forms (A0-A3) carry the absolute address in the instruction, so
 * each side gets its own copy; the device address is spelled for the
 * assembler because it does not fit a sign-extended 32-bit constant.
 */
#define MOFFS(fname, ram_insn, dev_insn, off)                                                   \
	static void fname(volatile uint8_t *base, uint8_t *auxp, struct st *s)                  \
	{                                                                                       \
		(void)auxp;                                                                     \
		if (base == ram_a)                                                              \
			__asm__ volatile(ram_insn : "+a"(s->rax) : "i"(ram_a + (off)) : "memory"); \
		else                                                                            \
			__asm__ volatile(dev_insn : "+a"(s->rax) : : "memory");                 \
	}
#define MOFFS_LOAD(fname, reg, off) \
	MOFFS(fname, "movabs %c1, %%" reg, "movabs 0xC0000000+" #off ", %%" reg, off)
#define MOFFS_STORE(fname, reg, off) \
	MOFFS(fname, "movabs %%" reg ", %c1", "movabs %%" reg ", 0xC0000000+" #off, off)

#define NOPOST ""
#define UNBASE_R11 "sub %%r9, %%r11"
#define UNBASE_SI_DI "sub %%r9, %%rsi\n\tsub %%r10, %%rdi"
#define UNBASE_DI_SI "sub %%r10, %%rsi\n\tsub %%r9, %%rdi"
#define UNBASE_SI "sub %%r9, %%rsi"
#define UNBASE_DI "sub %%r9, %%rdi"

/* loads */
OP(mov8_load, "mov 0x103(%%r9), %%al", NOPOST)
OP(mov8_load_ah, "lea 0x100(%%r9), %%rsi\n\tmov 5(%%rsi), %%ah", UNBASE_SI)
OP(mov16_load, "mov 0x106(%%r9), %%ax", NOPOST)
OP(mov32_load, "mov 0x108(%%r9), %%eax", NOPOST)
OP(mov64_load, "mov 0x110(%%r9), %%rax", NOPOST)
OP(mov64_load_r11, "mov 0x118(%%r9), %%r11", NOPOST)
OP(mov32_load_disp8, "lea 0x100(%%r9), %%r11\n\tmov 0x7c(%%r11), %%edx", UNBASE_R11)
OP(mov32_load_nodisp, "lea 0x140(%%r9), %%rsi\n\tmov (%%rsi), %%ecx", UNBASE_SI)
OP(mov64_load_sib, "mov 0x100(%%r9,%%rcx,8), %%rdx", NOPOST)
OP(mov32_load_sib_disp8, "lea 0x180(%%r9), %%r11\n\tmov -0x10(%%r11,%%rbx,4), %%eax", UNBASE_R11)
/* stores */
OP(mov8_store, "mov %%bl, 0x121(%%r9)", NOPOST)
OP(mov8_store_bh, "lea 0x100(%%r9), %%rsi\n\tmov %%bh, 0x22(%%rsi)", UNBASE_SI)
OP(mov16_store, "mov %%bx, 0x124(%%r9)", NOPOST)
OP(mov32_store, "mov %%ebx, 0x128(%%r9)", NOPOST)
OP(mov64_store, "mov %%rbx, 0x130(%%r9)", NOPOST)
OP(mov64_store_r11, "mov %%r11, 0x138(%%r9)", NOPOST)
OP(mov8_imm, "movb $0x5a, 0x141(%%r9)", NOPOST)
OP(mov16_imm, "movw $0xbeef, 0x142(%%r9)", NOPOST)
OP(mov32_imm, "movl $0xdeadbeef, 0x144(%%r9)", NOPOST)
OP(mov64_imm_sext, "movq $-0x1234567, 0x148(%%r9)", NOPOST)
/* MOVZX / MOVSX */
OP(movzx8_32, "movzbl 0x150(%%r9), %%eax", NOPOST)
OP(movzx16_64, "movzwq 0x152(%%r9), %%rax", NOPOST)
OP(movsx8_64, "movsbq 0x154(%%r9), %%rax", NOPOST)
OP(movsx16_32, "movswl 0x156(%%r9), %%ecx", NOPOST)
OP(movsx8_16, "movsbw 0x155(%%r9), %%dx", NOPOST)
/* moffs */
MOFFS_LOAD(moffs_load8, "al", 0x10b)
MOFFS_LOAD(moffs_load32, "eax", 0x10c)
MOFFS_LOAD(moffs_load64, "rax", 0x110)
MOFFS_STORE(moffs_store32, "eax", 0x15c)
MOFFS_STORE(moffs_store16, "ax", 0x15a)
/* arithmetic and logic on memory */
OP(add32_store, "add %%ebx, 0x160(%%r9)", NOPOST)
OP(add64_load, "add 0x160(%%r9), %%rbx", NOPOST)
OP(or8_store, "or %%bl, 0x164(%%r9)", NOPOST)
OP(and16_imm, "andw $0x0ff0, 0x166(%%r9)", NOPOST)
OP(xor32_imm8, "xorl $-3, 0x168(%%r9)", NOPOST)
OP(sub64_store, "sub %%rbx, 0x170(%%r9)", NOPOST)
OP(sub8_imm, "subb $0x7f, 0x178(%%r9)", NOPOST)
OP(cmp32_mem_reg, "cmp %%ebx, 0x17c(%%r9)", NOPOST)
OP(cmp64_reg_mem, "cmp 0x180(%%r9), %%rbx", NOPOST)
OP(cmp8_imm, "cmpb $0x80, 0x188(%%r9)", NOPOST)
OP(test32_reg, "test %%ebx, 0x18c(%%r9)", NOPOST)
OP(test8_imm, "testb $0x81, 0x190(%%r9)", NOPOST)
OP(adc32_store, "adc %%ebx, 0x194(%%r9)", NOPOST)
OP(sbb16_store, "sbb %%bx, 0x198(%%r9)", NOPOST)
OP(lock_or32, "lock orl %%ebx, 0x19c(%%r9)", NOPOST)
OP(add32_imm_overflow, "addl $0x7fffffff, 0x1a0(%%r9)", NOPOST)
/* bit tests: register offsets address the bit string beyond the operand */
OP(bt32_reg, "bt %%ebx, 0x1a4(%%r9)", NOPOST)
OP(bt64_reg_far, "bt %%rbx, 0x1a8(%%r9)", NOPOST)
OP(bt32_reg_negative, "bt %%ebx, 0x1b0(%%r9)", NOPOST)
OP(bts32_imm, "btsl $5, 0x1b4(%%r9)", NOPOST)
OP(btr16_imm, "btrw $15, 0x1b6(%%r9)", NOPOST)
OP(btc64_reg, "btc %%rbx, 0x1b8(%%r9)", NOPOST)
OP(bts32_reg_far, "bts %%ebx, 0x1c0(%%r9)", NOPOST)
/* exchange */
OP(xchg32, "xchg %%eax, 0x1c8(%%r9)", NOPOST)
OP(xchg8, "xchg %%bl, 0x1cc(%%r9)", NOPOST)
OP(xchg64_r11, "xchg 0x1d0(%%r9), %%r11", NOPOST)
/* string instructions */
OP(rep_movsb_from_dev, "lea 0x100(%%r9), %%rsi\n\tlea 0x10(%%r10), %%rdi\n\tmov $24, %%ecx\n\trep movsb",
   UNBASE_SI_DI)
OP(rep_movsb_to_dev, "lea 0x20(%%r10), %%rsi\n\tlea 0x1d8(%%r9), %%rdi\n\tmov $17, %%ecx\n\trep movsb",
   UNBASE_DI_SI)
OP(rep_movsb_backward,
   "lea 0x11f(%%r9), %%rsi\n\tlea 0x6f(%%r10), %%rdi\n\tmov $16, %%ecx\n\tstd\n\trep movsb\n\tcld",
   UNBASE_SI_DI)
OP(movsq_from_dev, "lea 0x108(%%r9), %%rsi\n\tlea 0x40(%%r10), %%rdi\n\tmovsq", UNBASE_SI_DI)
OP(rep_stosb, "lea 0x1e0(%%r9), %%rdi\n\tmov $11, %%ecx\n\trep stosb", UNBASE_DI)
OP(rep_stosq, "lea 0x1e8(%%r9), %%rdi\n\tmov $2, %%ecx\n\trep stosq", UNBASE_DI)
OP(stosw, "lea 0x1f8(%%r9), %%rdi\n\tstosw", UNBASE_DI)
OP(lodsb, "lea 0x101(%%r9), %%rsi\n\tlodsb", UNBASE_SI)
OP(lodsq, "lea 0x118(%%r9), %%rsi\n\tlodsq", UNBASE_SI)

struct mcase {
	const char *name;
	op_fn fn;
	uint64_t rax, rbx, rcx, fl;
};

#define R64A 0x8877665544332211ull
#define R64B 0xF0E1D2C3B4A59687ull

static const struct mcase cases[] = {
	{ "mmio.mov8-load", mov8_load, R64A, 0, 0, FL0 },
	{ "mmio.mov8-load-ah", mov8_load_ah, R64A, 0, 0, FL0 },
	{ "mmio.mov16-load-66", mov16_load, R64A, 0, 0, FL0 },
	{ "mmio.mov32-load-zero-extends", mov32_load, R64A, 0, 0, FL0 },
	{ "mmio.mov64-load", mov64_load, R64A, 0, 0, FL0 },
	{ "mmio.mov64-load-rex-r", mov64_load_r11, 0, 0, 0, FL0 },
	{ "mmio.mov32-load-disp8", mov32_load_disp8, 0, 0, 0, FL0 },
	{ "mmio.mov32-load-nodisp", mov32_load_nodisp, 0, 0, R64B, FL0 },
	{ "mmio.mov64-load-sib-scale8", mov64_load_sib, 0, 0, 5, FL0 },
	{ "mmio.mov32-load-sib-disp8-negative", mov32_load_sib_disp8, 0, 3, 0, FL0 },
	{ "mmio.mov8-store", mov8_store, 0, R64B, 0, FL0 },
	{ "mmio.mov8-store-bh", mov8_store_bh, 0, R64B, 0, FL0 },
	{ "mmio.mov16-store-66", mov16_store, 0, R64B, 0, FL0 },
	{ "mmio.mov32-store", mov32_store, 0, R64B, 0, FL0 },
	{ "mmio.mov64-store", mov64_store, 0, R64B, 0, FL0 },
	{ "mmio.mov64-store-rex-r", mov64_store_r11, 0, 0, 0, FL0 },
	{ "mmio.mov8-imm-store", mov8_imm, 0, 0, 0, FL0 },
	{ "mmio.mov16-imm-store", mov16_imm, 0, 0, 0, FL0 },
	{ "mmio.mov32-imm-store", mov32_imm, 0, 0, 0, FL0 },
	{ "mmio.mov64-imm32-sign-extended", mov64_imm_sext, 0, 0, 0, FL0 },
	{ "mmio.movzx8-32", movzx8_32, R64A, 0, 0, FL0 },
	{ "mmio.movzx16-64", movzx16_64, R64A, 0, 0, FL0 },
	{ "mmio.movsx8-64", movsx8_64, R64A, 0, 0, FL0 },
	{ "mmio.movsx16-32", movsx16_32, 0, 0, R64A, FL0 },
	{ "mmio.movsx8-16-66", movsx8_16, 0, 0, 0, FL0 },
	{ "mmio.moffs-load8", moffs_load8, R64A, 0, 0, FL0 },
	{ "mmio.moffs-load32", moffs_load32, R64A, 0, 0, FL0 },
	{ "mmio.moffs-load64", moffs_load64, R64A, 0, 0, FL0 },
	{ "mmio.moffs-store32", moffs_store32, R64B, 0, 0, FL0 },
	{ "mmio.moffs-store16-66", moffs_store16, R64B, 0, 0, FL0 },
	{ "mmio.add32-store", add32_store, 0, R64B, 0, FL0 },
	{ "mmio.add64-load", add64_load, 0, R64B, 0, FL0 },
	{ "mmio.or8-store", or8_store, 0, R64B, 0, FL0 },
	{ "mmio.and16-imm16-66", and16_imm, 0, 0, 0, FL0 | CF },
	{ "mmio.xor32-imm8", xor32_imm8, 0, 0, 0, FL0 },
	{ "mmio.sub64-store", sub64_store, 0, R64B, 0, FL0 },
	{ "mmio.sub8-imm", sub8_imm, 0, 0, 0, FL0 },
	{ "mmio.cmp32-mem-reg", cmp32_mem_reg, 0, R64B, 0, FL0 },
	{ "mmio.cmp64-reg-mem", cmp64_reg_mem, 0, R64B, 0, FL0 },
	{ "mmio.cmp8-imm", cmp8_imm, 0, 0, 0, FL0 },
	{ "mmio.test32-reg", test32_reg, 0, R64B, 0, FL0 | CF },
	{ "mmio.test8-imm", test8_imm, 0, 0, 0, FL0 },
	{ "mmio.adc32-carry-in", adc32_store, 0, R64B, 0, FL0 | CF },
	{ "mmio.sbb16-carry-in-66", sbb16_store, 0, R64B, 0, FL0 | CF },
	{ "mmio.lock-or32", lock_or32, 0, R64B, 0, FL0 },
	{ "mmio.add32-imm-overflow", add32_imm_overflow, 0, 0, 0, FL0 },
	{ "mmio.bt32-reg", bt32_reg, 0, 13, 0, FL0 },
	{ "mmio.bt64-reg-beyond-operand", bt64_reg_far, 0, 70, 0, FL0 },
	{ "mmio.bt32-reg-negative-offset", bt32_reg_negative, 0, (uint64_t)-5, 0, FL0 },
	{ "mmio.bts32-imm", bts32_imm, 0, 0, 0, FL0 },
	{ "mmio.btr16-imm-66", btr16_imm, 0, 0, 0, FL0 },
	{ "mmio.btc64-reg", btc64_reg, 0, 63, 0, FL0 },
	{ "mmio.bts32-reg-beyond-operand", bts32_reg_far, 0, 33, 0, FL0 },
	{ "mmio.xchg32", xchg32, R64A, 0, 0, FL0 },
	{ "mmio.xchg8", xchg8, 0, R64B, 0, FL0 },
	{ "mmio.xchg64-rex-r", xchg64_r11, 0, 0, 0, FL0 },
	{ "mmio.rep-movsb-from-device", rep_movsb_from_dev, 0, 0, 0, FL0 },
	{ "mmio.rep-movsb-to-device", rep_movsb_to_dev, 0, 0, 0, FL0 },
	{ "mmio.rep-movsb-backward-df", rep_movsb_backward, 0, 0, 0, FL0 },
	{ "mmio.movsq-from-device", movsq_from_dev, 0, 0, 0, FL0 },
	{ "mmio.rep-stosb", rep_stosb, R64A, 0, 0, FL0 },
	{ "mmio.rep-stosq", rep_stosq, R64B, 0, 0, FL0 },
	{ "mmio.stosw-66", stosw, R64A, 0, 0, FL0 },
	{ "mmio.lodsb", lodsb, R64A, 0, 0, FL0 },
	{ "mmio.lodsq", lodsq, R64A, 0, 0, FL0 },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static uint8_t pattern_byte(unsigned i)
{
	uint32_t x = i * 2654435761u + 0x9E3779B9u;

	x ^= x >> 15;
	x *= 0x85EBCA6Bu;
	x ^= x >> 13;
	return (uint8_t)x;
}

/* The scratch pattern, with sign bits where MOVSX needs them. */
static void fill_pattern(uint8_t *buf)
{
	for (unsigned i = SCRATCH_LO; i < SCRATCH_HI; i++)
		buf[i] = pattern_byte(i);
	buf[0x154] = 0xF0;
	buf[0x155] = 0x85;
	buf[0x156] = 0x80;
	buf[0x157] = 0xFF;
}

static void dev_write(volatile uint8_t *dev, const uint8_t *src)
{
	for (unsigned i = SCRATCH_LO; i < SCRATCH_HI; i += 8) {
		uint64_t v;
		memcpy(&v, src + i, 8);
		*(volatile uint64_t *)(dev + i) = v;
	}
}

static void dev_read(volatile uint8_t *dev, uint8_t *dst)
{
	for (unsigned i = SCRATCH_LO; i < SCRATCH_HI; i += 8) {
		uint64_t v = *(volatile uint64_t *)(dev + i);
		memcpy(dst + i, &v, 8);
	}
}

static void aux_fill(uint8_t *aux)
{
	for (unsigned i = 0; i < AUX_SIZE; i++)
		aux[i] = (uint8_t)(0xC0 ^ i);
}

static void init_state(struct st *s, const struct mcase *c)
{
	s->rax = c->rax;
	s->rbx = c->rbx;
	s->rcx = c->rcx;
	s->rdx = 0x5555AAAA5555AAAAull;
	s->rsi = 0x0123456789ABCDEFull;
	s->rdi = 0xFEDCBA9876543210ull;
	s->r11 = 0x1357913579135791ull;
	s->fl = c->fl;
}

static uint8_t seen[4096];
static uint8_t want[4096];

/* Runs one case on ram_a (the oracle) and on dev; reports PASS/FAIL when report. */
static bool run_case(const struct mcase *c, volatile uint8_t *dev, bool report)
{
	struct st a, d;
	unsigned i;

	fill_pattern(ram_a);
	fill_pattern(want);
	dev_write(dev, want);
	aux_fill(aux_a);
	aux_fill(aux_b);
	init_state(&a, c);
	init_state(&d, c);
	c->fn(ram_a, aux_a, &a);
	c->fn(dev, aux_b, &d);
	dev_read(dev, seen);

	const uint64_t *ra = &a.rax, *rd = &d.rax;
	static const char *const names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r11" };
	for (i = 0; i < 7; i++) {
		if (ra[i] != rd[i]) {
			if (report)
				tg_fail(c->name, "%s 0x%lx, want 0x%lx", names[i], rd[i], ra[i]);
			return false;
		}
	}
	if ((a.fl & FLAGS_MASK) != (d.fl & FLAGS_MASK)) {
		if (report)
			tg_fail(c->name, "RFLAGS 0x%lx, want 0x%lx (mask 0x%lx)", d.fl & FLAGS_MASK,
				a.fl & FLAGS_MASK, FLAGS_MASK);
		return false;
	}
	for (i = SCRATCH_LO; i < SCRATCH_HI; i++) {
		if (seen[i] != ram_a[i]) {
			if (report)
				tg_fail(c->name, "device byte +0x%x = 0x%x, want 0x%x", i, seen[i], ram_a[i]);
			return false;
		}
	}
	for (i = 0; i < AUX_SIZE; i++) {
		if (aux_a[i] != aux_b[i]) {
			if (report)
				tg_fail(c->name, "RAM side byte %u = 0x%x, want 0x%x", i, aux_b[i], aux_a[i]);
			return false;
		}
	}
	if (report)
		tg_pass(c->name);
	return true;
}

static void device_registers(volatile uint8_t *dev)
{
	volatile uint32_t *id = (volatile uint32_t *)(dev + DEV_ID);
	volatile uint64_t *ctr = (volatile uint64_t *)(dev + DEV_COUNTER);
	uint64_t c0, c1;

	tg_check_eq("mmio.dev-id", *id, DEV_ID_VALUE);
	tg_check_eq("mmio.dev-version", *(volatile uint32_t *)(dev + DEV_VERSION), 1);
	*id = 0;
	tg_check_eq("mmio.dev-id-read-only", *id, DEV_ID_VALUE);
	c0 = *ctr;
	*(volatile uint32_t *)(dev + SCRATCH_LO) = 0x600DF00Du;
	c1 = *ctr;
	tg_check("mmio.dev-access-counter", c1 - c0 == 2,
		 "counter 0x%lx then 0x%lx around one write, want a step of 2", c0, c1);
	*(volatile uint8_t *)(dev + 0xFFF) = 0x7E;
	*(volatile uint16_t *)(dev + 0xFFC) = 0x1234;
	tg_check("mmio.dev-scratch-top", *(volatile uint8_t *)(dev + 0xFFF) == 0x7E &&
					 *(volatile uint16_t *)(dev + 0xFFC) == 0x1234,
		 "+0xfff 0x%x, +0xffc 0x%x", *(volatile uint8_t *)(dev + 0xFFF),
		 *(volatile uint16_t *)(dev + 0xFFC));
}

/*
 * Natively: point the 2 MiB page at linear 0xC0000000 (PD 3, entry 0 of
 * entry.S's tables) at RAM from 8 MiB, run every form there, put it back.
 */
extern uint64_t tg_pd[];
#define PD_DEV_SLOT (DEV_BASE >> 21)
#define SELFTEST_RAM 0x800000ull
#define PDE_2M_RW 0x87ull		/* P | RW | US | PS */

static void native_self_check(void)
{
	uint64_t saved = tg_pd[PD_DEV_SLOT];
	unsigned bad = 0;

	tg_pd[PD_DEV_SLOT] = SELFTEST_RAM | PDE_2M_RW;
	__asm__ volatile("invlpg (%0)" : : "r"(DEV_BASE) : "memory");
	for (unsigned i = 0; i < N_CASES; i++) {
		if (!run_case(&cases[i], (volatile uint8_t *)DEV_BASE, false)) {
			tg_printf("testguest: mmio self-check mismatch in %s\n", cases[i].name);
			bad++;
		}
	}
	tg_pd[PD_DEV_SLOT] = saved;
	__asm__ volatile("invlpg (%0)" : : "r"(DEV_BASE) : "memory");
	tg_check("mmio.harness-self-check", bad == 0, "%u of %u forms differ on RAM at 0x%lx", bad,
		 (unsigned)N_CASES, DEV_BASE);
}

void tg_test_mmio(void)
{
	if (!tg_env.tern) {
		native_self_check();
		tg_skip("mmio.device", "not under Tern: no test device at 0xc0000000");
		return;
	}
	device_registers((volatile uint8_t *)DEV_BASE);
	for (unsigned i = 0; i < N_CASES; i++)
		run_case(&cases[i], (volatile uint8_t *)DEV_BASE, true);
}
