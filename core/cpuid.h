/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-VM CPUID policy: a table built once at VM creation from the host's
 * CPUID (plat_host_cpuid) and the VM's configuration, answered from then on
 * without touching the host. Per-vCPU fields (APIC IDs, OSXSAVE) are filled
 * in at lookup time.
 */
#ifndef TERN_CPUID_H
#define TERN_CPUID_H

#include <stdint.h>
#include <stdbool.h>

struct vcpu;
struct vm_config;

#define CPUID_MAX_ENTRIES 128
/*
 * Leaves Tern knows and filters. A host reporting more gets its range cut
 * here: a leaf Tern has never seen could leak host features to guests.
 */
#define CPUID_MAX_BASIC_LEAF 0x1fu
#define CPUID_MAX_EXT_LEAF 0x80000020u

/* Tern's hypervisor leaves (the 0x40000000 range is reserved for hypervisors). */
#define CPUID_LEAF_HV_BASE 0x40000000u
#define CPUID_LEAF_HV_FEATURES 0x40000001u
#define CPUID_LEAF_HV_MAX CPUID_LEAF_HV_FEATURES
#define CPUID_LEAF_HV_RANGE_END 0x4fffffffu
/* "TernTernTern" as EBX, ECX, EDX. */
#define CPUID_TERN_SIG_EBX 0x6e726554u
#define CPUID_TERN_SIG_ECX 0x6e726554u
#define CPUID_TERN_SIG_EDX 0x6e726554u

/* CPUID.1 bits Tern controls (SDM Vol. 2A, CPUID, Table 3-10). */
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_SMX (1u << 6)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_ECX_MONITOR (1u << 3)
#define CPUID_1_ECX_PDCM (1u << 15)
#define CPUID_1_ECX_PCID (1u << 17)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_6_EAX_ARAT (1u << 2)   /* APIC timer always running */
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_EDX_APIC (1u << 9)
#define CPUID_1_EDX_HTT (1u << 28)
/* CPUID.7.0 bits Tern hides or sets (SDM Vol. 2A Table 3-8). */
#define CPUID_7_EBX_FSGSBASE (1u << 0)
#define CPUID_7_EBX_TSC_ADJUST (1u << 1)
#define CPUID_7_EBX_SGX (1u << 2)
#define CPUID_7_EBX_SMEP (1u << 7)
#define CPUID_7_EBX_INVPCID (1u << 10)
#define CPUID_7_EBX_PQM (1u << 12)
#define CPUID_7_EBX_MPX (1u << 14)
#define CPUID_7_EBX_PQE (1u << 15)
#define CPUID_7_EBX_SMAP (1u << 20)
#define CPUID_7_EBX_PT (1u << 25)
#define CPUID_80000001_EDX_RDTSCP (1u << 27)
#define CPUID_7_ECX_UMIP (1u << 2)
#define CPUID_7_ECX_PKU (1u << 3)
#define CPUID_7_ECX_WAITPKG (1u << 5)
#define CPUID_7_ECX_CET_SS (1u << 7)
#define CPUID_7_ECX_LA57 (1u << 16)
#define CPUID_7_ECX_KL (1u << 23)
#define CPUID_7_ECX_SGX_LC (1u << 30)
#define CPUID_7_ECX_PKS (1u << 31)
#define CPUID_7_EDX_CET_IBT (1u << 20)
#define CPUID_7_EDX_AMX_ALL ((1u << 22) | (1u << 24) | (1u << 25))
/*
 * What CPUID.1 and CPUID.(7,0) may show: a bit outside these masks is
 * hidden whatever the host has, so a feature a newer CPU adds is not
 * advertised until someone decides Tern backs it. Inside, a bit is shown
 * as the host has it (TSC_ADJUST and HYPERVISOR always) and is backed
 * one of two ways: natively, an instruction-set extension or paging
 * feature the CPU runs in VMX non-root operation with the guest's own
 * CR4/XCR0 (which cpuid.c's derive() and CPUID_XCR0_ALLOWED gate), or by
 * core's emulation: APIC, x2APIC, TSC-deadline (vlapic.c), MTRR and PAT
 * (msr.c), TSC_ADJUST (msr.c), INVPCID / RDPID with their VM-execution
 * controls (vmx_controls.c). harness/unit/test_feature_policy.c checks a
 * host with every bit set against these lists.
 *
 * Hidden for want of an implementation (SDM Vol. 2A, CPUID, Tables 3-10,
 * 3-11, 3-8): leaf 1 EDX MCA (14, no MCG_* MSRs), PSN (18), DS (21),
 * ACPI thermal (22), TM (29), PBE (31); ECX DTES64 (2), MONITOR (3, MWAIT
 * exits as #UD), DS-CPL (4), VMX (5), SMX (6), EST (7), TM2 (8), CNXT-ID
 * (10), SDBG (11), xTPR (14), PDCM (15), DCA (18); leaf 7 EBX SGX (2),
 * PQM (12), MPX (14), PQE (15), PT (25); ECX WAITPKG (5), CET_SS (7), TME
 * (13), KL (23), bus-lock detect (24), ENQCMD (29), SGX_LC (30), PKS (31);
 * EDX SGX-KEYS (1), UINTR (5), SRBDS_CTRL (9), RTM_ALWAYS_ABORT (11),
 * TSX_FORCE_ABORT (13), hybrid (15), PCONFIG (18),
 * arch LBR (19), CET_IBT (20), AMX (22, 24, 25), and the speculation
 * controls IBRS/IBPB, STIBP, L1D_FLUSH, ARCH_CAPABILITIES,
 * CORE_CAPABILITIES, SSBD (26-31): their MSRs (0x48, 0x49, 0x10A, 0x10B,
 * 0xCF) are not emulated and #GP.
 */
#define CPUID_1_EDX_SHOWN 0x1f8bbbffu  /* FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE CMOV PAT PSE36
					 CLFSH MMX FXSR SSE SSE2 SS HTT */
#define CPUID_1_ECX_SHOWN 0xfffa3203u  /* SSE3 PCLMULQDQ SSSE3 FMA CX16 PCID SSE4.1 SSE4.2 x2APIC MOVBE
					 POPCNT TSC-deadline AES XSAVE OSXSAVE AVX F16C RDRAND HYPERVISOR */
#define CPUID_7_EBX_SHOWN 0xfdbf2ffbu  /* FSGSBASE TSC_ADJUST BMI1 HLE AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS
					 INVPCID RTM FPU-CS/DS-deprecated AVX512F/DQ RDSEED ADX SMAP
					 AVX512_IFMA CLFLUSHOPT CLWB AVX512PF/ER/CD SHA AVX512BW/VL */
#define CPUID_7_ECX_SHOWN 0x1a415f4fu  /* PREFETCHWT1 AVX512_VBMI UMIP PKU AVX512_VBMI2 GFNI VAES
					 VPCLMULQDQ AVX512_VNNI/BITALG AVX512_VPOPCNTDQ LA57 RDPID CLDEMOTE
					 MOVDIRI MOVDIR64B (OSPKE: per vCPU, CR4.PKE) */
#define CPUID_7_EDX_SHOWN 0x0081451cu  /* AVX512_4VNNIW AVX512_4FMAPS FSRM AVX512_VP2INTERSECT MD_CLEAR
					 SERIALIZE TSXLDTRK AVX512_FP16 */
/*
 * CPUID.(7,1):EAX, native instructions only: AVX-VNNI (4), AVX512_BF16
 * (5), CMPCCXADD (7), fast zero-length MOVSB (10), fast short STOSB (11)
 * and CMPSB/SCASB (12), AVX-IFMA (23). Hidden: FRED (17, CR4.FRED is
 * reserved for a guest), LKGS (18), WRMSRNS (19), AMX-FP16 (21, AMX is
 * hidden), HRESET (22), LAM (26), MSRLIST (27) and the rest; EBX, ECX
 * and EDX of the subleaf are all zero. CPUID.(7,0):EAX, the last
 * subleaf, is at most 1.
 */
#define CPUID_71_EAX_SHOWN 0x00801cb0u
#define CPUID_7_ECX_OSPKE (1u << 4)

/* CPUID.(0xD,1):EAX: XSAVES/XRSTORS and XFD are hidden. */
#define CPUID_D1_EAX_XSAVES (1u << 3)
#define CPUID_D1_EAX_XFD (1u << 4)
/* XCR0 components Tern lets a guest enable: x87, SSE, AVX, AVX-512 (3), PKRU. */
#define CPUID_XCR0_ALLOWED 0x2e7ull

/*
 * The CPU vendor a VM's CPUID leaf 0 names (EBX, EDX, ECX spell it). Where
 * the SDM leaves an outcome undefined or the vendors differ, the
 * instruction emulator behaves as this vendor does (insn_vendor.h).
 */
enum cpuid_vendor {
	CPUID_VENDOR_OTHER,   /* any other string: the emulator models Intel (insn_vendor.c) */
	CPUID_VENDOR_INTEL,   /* "GenuineIntel" */
	CPUID_VENDOR_AMD,     /* "AuthenticAMD", and Hygon's "HygonGenuine" (AMD's core) */
	CPUID_VENDOR_COUNT
};

struct cpuid_entry {
	uint32_t leaf;
	uint32_t subleaf;
	bool indexed;     /* subleaf matters for this leaf */
	uint32_t regs[4]; /* EAX, EBX, ECX, EDX */
};

/* Where a leaf's entries start in the table and how many subleaves it keeps. */
struct cpuid_slot {
	uint8_t first;
	uint8_t nsub;   /* 0: the leaf is not in the table */
};

struct cpuid_policy {
	struct cpuid_entry entries[CPUID_MAX_ENTRIES];
	unsigned count;
	uint32_t max_basic;
	uint32_t max_ext;
	/* Indexed lookup: one slot per leaf of each range. */
	struct cpuid_slot basic[CPUID_MAX_BASIC_LEAF + 1];
	struct cpuid_slot ext[CPUID_MAX_EXT_LEAF - 0x80000000u + 1];
	struct cpuid_slot hv[CPUID_LEAF_HV_MAX - CPUID_LEAF_HV_BASE + 1];
	/* What the VM's CPUID enumerates, derived once for the CR/MSR/XSETBV checks. */
	uint64_t cr4_valid;       /* CR4 bits a guest may set */
	uint64_t efer_valid;      /* EFER bits a guest may set */
	uint64_t xcr0_supported;  /* XCR0 bits a guest may set (CPUID.(0xD,0) EDX:EAX) */
	unsigned maxphyaddr;      /* CPUID.80000008:EAX[7:0] */
	enum cpuid_vendor vendor; /* the vendor leaf 0 names */
	uint16_t vcpu_count;
};

/* The vendor CPUID leaf 0's registers (EAX, EBX, ECX, EDX) name. */
enum cpuid_vendor cpuid_vendor_of(const uint32_t leaf0[4]);
/* Build the VM's table; 0 (the table always fits: see cpuid.c). */
int cpuid_policy_build(struct cpuid_policy *p, const struct vm_config *cfg);
/* The table entry for (leaf, subleaf) as built, or NULL; no per-vCPU fix-ups. */
const struct cpuid_entry *cpuid_find(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf);
/* Answer CPUID(leaf, subleaf) for this vCPU: regs = EAX, EBX, ECX, EDX. */
void cpuid_lookup(const struct cpuid_policy *p, struct vcpu *vcpu, uint32_t leaf,
		  uint32_t subleaf, uint32_t regs[4]);

#endif
