/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exit record: everything the platform tells core about one VM exit.
 * This is the only place VMCS-derived layouts appear in core/; the field
 * meanings follow Intel SDM Vol. 3C, 28.2 ("Recording VM-exit information")
 * and the basic exit reasons of Appendix C.
 */
#ifndef TERN_EXIT_H
#define TERN_EXIT_H

#include <stdint.h>
#include <stdbool.h>

/* Basic exit reasons, SDM Vol. 3C Appendix C (Table C-1). */
enum exit_reason {
	EXIT_REASON_EXCEPTION_NMI = 0,
	EXIT_REASON_EXTERNAL_INTERRUPT = 1,
	EXIT_REASON_TRIPLE_FAULT = 2,
	EXIT_REASON_INIT = 3,
	EXIT_REASON_SIPI = 4,
	EXIT_REASON_IO_SMI = 5,
	EXIT_REASON_OTHER_SMI = 6,
	EXIT_REASON_INTERRUPT_WINDOW = 7,
	EXIT_REASON_NMI_WINDOW = 8,
	EXIT_REASON_TASK_SWITCH = 9,
	EXIT_REASON_CPUID = 10,
	EXIT_REASON_GETSEC = 11,
	EXIT_REASON_HLT = 12,
	EXIT_REASON_INVD = 13,
	EXIT_REASON_INVLPG = 14,
	EXIT_REASON_RDPMC = 15,
	EXIT_REASON_RDTSC = 16,
	EXIT_REASON_RSM = 17,
	EXIT_REASON_VMCALL = 18,
	EXIT_REASON_VMCLEAR = 19,
	EXIT_REASON_VMLAUNCH = 20,
	EXIT_REASON_VMPTRLD = 21,
	EXIT_REASON_VMPTRST = 22,
	EXIT_REASON_VMREAD = 23,
	EXIT_REASON_VMRESUME = 24,
	EXIT_REASON_VMWRITE = 25,
	EXIT_REASON_VMXOFF = 26,
	EXIT_REASON_VMXON = 27,
	EXIT_REASON_CR_ACCESS = 28,
	EXIT_REASON_DR_ACCESS = 29,
	EXIT_REASON_IO_INSTRUCTION = 30,
	EXIT_REASON_RDMSR = 31,
	EXIT_REASON_WRMSR = 32,
	EXIT_REASON_ENTRY_FAIL_GUEST_STATE = 33,
	EXIT_REASON_ENTRY_FAIL_MSR_LOADING = 34,
	/* 35 is not used by the SDM */
	EXIT_REASON_MWAIT = 36,
	EXIT_REASON_MONITOR_TRAP_FLAG = 37,
	/* 38 is not used by the SDM */
	EXIT_REASON_MONITOR = 39,
	EXIT_REASON_PAUSE = 40,
	EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK = 41,
	/* 42 is not used by the SDM */
	EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
	EXIT_REASON_APIC_ACCESS = 44,
	EXIT_REASON_VIRTUALIZED_EOI = 45,
	EXIT_REASON_GDTR_IDTR_ACCESS = 46,
	EXIT_REASON_LDTR_TR_ACCESS = 47,
	EXIT_REASON_EPT_VIOLATION = 48,
	EXIT_REASON_EPT_MISCONFIG = 49,
	EXIT_REASON_INVEPT = 50,
	EXIT_REASON_RDTSCP = 51,
	EXIT_REASON_PREEMPTION_TIMER = 52,
	EXIT_REASON_INVVPID = 53,
	EXIT_REASON_WBINVD = 54,
	EXIT_REASON_XSETBV = 55,
	EXIT_REASON_APIC_WRITE = 56,
	EXIT_REASON_RDRAND = 57,
	EXIT_REASON_INVPCID = 58,
	EXIT_REASON_VMFUNC = 59,
	EXIT_REASON_ENCLS = 60,
	EXIT_REASON_RDSEED = 61,
	EXIT_REASON_PML_FULL = 62,
	EXIT_REASON_XSAVES = 63,
	EXIT_REASON_XRSTORS = 64,
	/* 65 is not used by the SDM */
	EXIT_REASON_SPP = 66,
	EXIT_REASON_UMWAIT = 67,
	EXIT_REASON_TPAUSE = 68,
	EXIT_REASON_LOADIWKEY = 69,
	EXIT_REASON_ENCLV = 70,
	/* 71 is not used by the SDM */
	EXIT_REASON_ENQCMD_PASID = 72,
	EXIT_REASON_ENQCMDS_PASID = 73,
	EXIT_REASON_BUS_LOCK = 74,
	EXIT_REASON_NOTIFY = 75,
	EXIT_REASON_SEAMCALL = 76,
	EXIT_REASON_TDCALL = 77,
	EXIT_REASON_MAX = 78, /* one past the last basic reason Tern knows */
};

/* Bit 31 of the exit-reason field: VM-entry failure (SDM 24.9.1). */
#define EXIT_REASON_FAILED_ENTRY (1u << 31)
#define EXIT_REASON_BASIC_MASK 0xffffu

/* Interruption-information format, SDM Vol. 3C 24.9.2 / 24.8.3. */
#define INTR_INFO_VECTOR_MASK 0xffu
#define INTR_INFO_TYPE_SHIFT 8
#define INTR_INFO_TYPE_MASK (7u << INTR_INFO_TYPE_SHIFT)
#define INTR_INFO_HAS_ERROR (1u << 11)
#define INTR_INFO_NMI_UNBLOCK_IRET (1u << 12)
#define INTR_INFO_VALID (1u << 31)

enum intr_type {
	INTR_TYPE_EXT_INT = 0,
	INTR_TYPE_NMI = 2,
	INTR_TYPE_HW_EXCEPTION = 3,
	INTR_TYPE_SW_INT = 4,
	INTR_TYPE_PRIV_SW_EXCEPTION = 5,
	INTR_TYPE_SW_EXCEPTION = 6,
	INTR_TYPE_OTHER = 7,
};

static inline bool intr_info_valid(uint32_t info) { return (info & INTR_INFO_VALID) != 0; }
static inline uint8_t intr_info_vector(uint32_t info) { return (uint8_t)(info & INTR_INFO_VECTOR_MASK); }
static inline unsigned intr_info_type(uint32_t info) { return (info & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT; }
static inline bool intr_info_has_error(uint32_t info) { return (info & INTR_INFO_HAS_ERROR) != 0; }

/*
 * One VM exit as the platform read it from the VMCS (or a trace).
 * Fields the exit reason does not define are zero.
 */
struct exit_record {
	uint32_t reason;          /* full exit-reason field, incl. bit 31 */
	uint64_t qualification;   /* exit qualification */
	uint32_t instr_len;       /* VM-exit instruction length */
	uint32_t instr_info;      /* VM-exit instruction information */
	uint64_t guest_linear;    /* guest-linear address */
	uint64_t guest_physical;  /* guest-physical address (EPT exits) */
	uint32_t intr_info;       /* VM-exit interruption information */
	uint32_t intr_error;      /* VM-exit interruption error code */
	uint32_t idt_vectoring_info;
	uint32_t idt_vectoring_error;
};

static inline uint16_t exit_basic_reason(const struct exit_record *ex)
{
	return (uint16_t)(ex->reason & EXIT_REASON_BASIC_MASK);
}

static inline bool exit_is_entry_failure(const struct exit_record *ex)
{
	return (ex->reason & EXIT_REASON_FAILED_ENTRY) != 0;
}

/* Name of a basic exit reason ("CPUID"), or "UNKNOWN" when out of range. */
const char *exit_reason_name(uint32_t basic_reason);
/* Parse a name as exit_reason_name prints it; -1 when unknown. */
int exit_reason_from_name(const char *name, unsigned len);

#endif
