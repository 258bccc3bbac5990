/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hypercalls (VMCALL exits), with ACRN's public ABI so that an ACRN-style
 * HSM driver and device model can drive Tern.
 *
 * ABI (ACRN's developer guide, "Hypercall / HSM Upcall", hv-hypercall.rst):
 * the hypercall id is in R8, parameters in RDI and RSI, the result in RAX
 * (0 or a negative errno); other registers are not modified. Parameters
 * that point at a structure are Service VM guest-physical addresses.
 *
 * Who may call (hv-hypercall.rst restrictions 1-2, and ACRN's
 * vmcall_vmexit_handler in hypervisor/arch/x86/guest/vmcall.c):
 * - any VM but the Service VM gets #UD (VMCALL does not exist for it);
 * - the Service VM outside 64-bit mode gets #UD: the ABI is defined on
 *   R8/RDI/RSI, which only exist in 64-bit mode, and it is what VMCALL
 *   itself raises in compatibility or virtual-8086 mode (SDM Vol. 2B,
 *   VMCALL, "Operation"). ACRN's documentation does not name this case;
 *   this is Tern's choice;
 * - the Service VM above CPL 0 gets #GP(0).
 * In those three cases RAX and RIP are left alone (the fault is raised at
 * the VMCALL). Otherwise RIP moves past VMCALL and RAX holds the result.
 *
 * The whole 64-bit id is checked: the upper 56 bits must be exactly
 * 0x00000000_800000 (ACRN's HC_ID 0x80 << 24), and the low byte must name
 * a hypercall Tern implements. Anything else (0x00000010, 0x7f000010,
 * 0x1_80000010, ids ACRN defines but Tern does not implement) returns
 * -TERN_ENOTTY and changes nothing. ACRN itself indexes its table with the
 * low byte only (HC_IDX); Tern does not.
 *
 * VM ids are Tern's VM slot ids, as HC_CREATE_VM returned them. A VM-id
 * parameter is checked as the whole 64-bit value (>= TERN_MAX_VMS:
 * -TERN_EINVAL; a free slot: -TERN_ENOENT). No hypercall may target the
 * Service VM itself (-TERN_EPERM): it cannot start, pause, reset, destroy
 * or re-register itself this way. Parameters a hypercall does not use are
 * ignored (ACRN's HSM leaves RSI unset for one-parameter hypercalls).
 */
#ifndef TERN_HYPERCALL_H
#define TERN_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>
#include "exit.h"
#include "exit_dispatch.h"
#include "vcpu.h"

/* ACRN's hypercall ids (hypervisor/include/public/acrn_hv_defs.h). */
#define HC_ID_PREFIX              0x80000000ull  /* BASE_HC_ID(HC_ID 0x80, 0) */
#define HC_IDX_MASK               0xffull
#define HC_ID_OF(idx)             (HC_ID_PREFIX | (idx))

#define HC_GET_API_VERSION        HC_ID_OF(0x00u)  /* HC_ID_GEN_BASE + 0 */
#define HC_SERVICE_VM_OFFLINE_CPU HC_ID_OF(0x01u)  /* not implemented: -ENOTTY */
#define HC_SET_CALLBACK_VECTOR    HC_ID_OF(0x02u)  /* RDI = vector, 0x20..0xFF (ioreq.h) */
#define HC_CREATE_VM              HC_ID_OF(0x10u)  /* HC_ID_VM_BASE + 0 */
#define HC_DESTROY_VM             HC_ID_OF(0x11u)
#define HC_START_VM               HC_ID_OF(0x12u)
#define HC_PAUSE_VM               HC_ID_OF(0x13u)
#define HC_RESET_VM               HC_ID_OF(0x15u)
#define HC_SET_VCPU_REGS          HC_ID_OF(0x16u)
#define HC_INJECT_MSI             HC_ID_OF(0x23u)  /* HC_ID_IRQ_BASE + 3: RDI = vmid, RSI = GPA of acrn_msi_entry */
#define HC_SET_IRQLINE            HC_ID_OF(0x25u)  /* HC_ID_IRQ_BASE + 5: RDI = vmid, RSI = acrn_irqline_ops */
#define HC_SET_IOREQ_BUFFER       HC_ID_OF(0x30u)  /* HC_ID_IOREQ_BASE + 0 */
#define HC_NOTIFY_REQUEST_FINISH  HC_ID_OF(0x31u)
#define HC_VM_SET_MEMORY_REGIONS  HC_ID_OF(0x42u)  /* HC_ID_MEM_BASE + 2 (vm_memory.h) */

/*
 * Tern's own hypercalls, in group 0xF0: ACRN's groups are 0x00-0x90
 * (general, VM, IRQ, IOREQ, memory, PCI, debug, Trusty, PM, TEE), so an
 * ACRN id never collides with these.
 *   HC_TERN_RESUME_VM    RDI = vmid                 PAUSED -> RUNNING
 *   HC_TERN_PAUSE_VCPU   RDI = vmid, RSI = vcpu id  pause one vCPU
 *   HC_TERN_RESUME_VCPU  RDI = vmid, RSI = vcpu id  resume it
 *   HC_TERN_GET_VM_STATE RDI = vmid, RSI = GPA of struct tern_vm_state
 *                        (written): where a User VM is in its lifecycle and
 *                        why it stopped, e.g. the status it wrote to its
 *                        debug-exit port. The Service VM's device model
 *                        learns this way that a VM it launched ended; ACRN
 *                        has no such call (its device model emulates the
 *                        power-off port itself).
 */
#define HC_ID_TERN_BASE           0xf0u
#define HC_TERN_RESUME_VM         HC_ID_OF(HC_ID_TERN_BASE + 0x0u)
#define HC_TERN_PAUSE_VCPU        HC_ID_OF(HC_ID_TERN_BASE + 0x1u)
#define HC_TERN_RESUME_VCPU       HC_ID_OF(HC_ID_TERN_BASE + 0x2u)
#define HC_TERN_GET_VM_STATE      HC_ID_OF(HC_ID_TERN_BASE + 0x3u)

/* HC_TERN_GET_VM_STATE's result, __aligned(8) like ACRN's parameters. */
struct tern_vm_state {
	uint32_t state;          /* enum vm_state: 1 created, 2 running, 3 paused, 4 stopped */
	uint32_t stop_cause;     /* enum vm_stop_cause while stopped, else 0 */
	uint32_t stop_detail;    /* its detail (the exit reason, the debug-exit value) */
	uint32_t exit_status;    /* the value written to the debug-exit port (cause guest-exit) */
} __attribute__((aligned(8)));

/* The API version HC_GET_API_VERSION reports: what ACRN's HSM driver accepts. */
#define HC_API_VERSION_MAJOR 1u
#define HC_API_VERSION_MINOR 0u

/* Structures pointed at by hypercall parameters: ACRN's public layouts. */

/* HC_GET_API_VERSION, RDI = GPA (written). */
struct hc_api_version {
	uint32_t major_version;
	uint32_t minor_version;
};

#define ACRN_VM_NAME_LEN 16  /* ACRN's MAX_VM_NAME_LEN */

/*
 * HC_CREATE_VM, RDI = GPA (read, then written back with vmid and vcpu_num).
 * name: NUL-terminated, non-empty, not the name of an existing VM;
 * cpu_affinity: one bit per physical CPU, one vCPU per set bit (ACRN),
 * each vCPU owned by the pCPU of its bit (scheduler.h); no bit at or above
 * TERN_MAX_PCPUS;
 * vm_flag: only ACRN_VM_FLAG_IO_COMPLETION_POLLING (IOREQ polling mode,
 * vm_config.ioreq_polling); every other flag names a feature Tern lacks
 * and is refused; reserved fields must be 0. ioreq_buf is ignored: Linux's HSM driver
 * passes the device model's virtual address there and names the IOREQ page
 * with HC_SET_IOREQ_BUFFER afterwards.
 */
#define ACRN_VM_FLAG_IO_COMPLETION_POLLING (1ull << 2) /* GUEST_FLAG_IO_COMPLETION_POLLING */

struct acrn_vm_creation {
	uint16_t vmid;        /* out */
	uint16_t reserved0;
	uint16_t vcpu_num;    /* out */
	uint16_t reserved1;
	uint8_t name[ACRN_VM_NAME_LEN];
	uint64_t vm_flag;
	uint64_t ioreq_buf;
	uint64_t cpu_affinity;
};

/*
 * HC_SET_IOREQ_BUFFER, RDI = vmid, RSI = GPA of this structure (read): the
 * Service VM GPA of the VM's IOREQ page (ioreq.h). Only while the VM is
 * CREATED (as ACRN): re-pointing the page under parked vCPUs would orphan
 * their requests.
 * HC_NOTIFY_REQUEST_FINISH, RDI = vmid, RSI = vCPU id: the device model
 * completed that vCPU's request (ioreq_complete).
 */
struct acrn_ioreq_buffer {
	uint64_t ioreq_buf;
};

/* HC_SET_VCPU_REGS, RDI = vmid, RSI = GPA of struct acrn_vcpu_regs (read). */
struct acrn_gp_regs {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

struct acrn_descriptor_ptr {
	uint16_t limit;
	uint64_t base;
	uint16_t reserved[3];
} __attribute__((packed));

struct acrn_regs {
	struct acrn_gp_regs gprs;
	struct acrn_descriptor_ptr gdt;
	struct acrn_descriptor_ptr idt;
	uint64_t rip;
	uint64_t cs_base;
	uint64_t cr0;
	uint64_t cr4;
	uint64_t cr3;
	uint64_t ia32_efer;
	uint64_t rflags;
	uint64_t reserved_64[4];
	uint32_t cs_ar;
	uint32_t cs_limit;
	uint32_t reserved_32[3];
	uint16_t cs_sel, ss_sel, ds_sel, es_sel, fs_sel, gs_sel, ldt_sel, tr_sel;
	/*
	 * In ACRN's hypervisor header (acrn_common.h), not in Linux's uapi
	 * acrn.h, whose acrn_regs ends at tr_sel (284 bytes, padded to 288,
	 * so its acrn_vcpu_regs is 296): the HSM hands the hypervisor those
	 * 296 bytes, of which reserved_16[0..1] are Linux's tail padding and
	 * reserved_16[2..3] lie beyond. Read, never checked nor used
	 * (HC_SET_VCPU_REGS, docs/hypercalls.md).
	 */
	uint16_t reserved_16[4];
};

struct acrn_vcpu_regs {
	uint16_t vcpu_id;
	uint16_t reserved[3];
	struct acrn_regs vcpu_regs;
};

_Static_assert(sizeof(struct hc_api_version) == 8, "ACRN hc_api_version layout");
_Static_assert(sizeof(struct acrn_vm_creation) == 48, "ACRN acrn_vm_creation layout");
_Static_assert(sizeof(struct acrn_descriptor_ptr) == 16, "ACRN acrn_descriptor_ptr layout");
_Static_assert(sizeof(struct acrn_regs) == 296, "ACRN acrn_regs layout");
_Static_assert(sizeof(struct acrn_vcpu_regs) == 304, "ACRN acrn_vcpu_regs layout");
_Static_assert(offsetof(struct acrn_vcpu_regs, vcpu_regs.tr_sel) == 290, "ACRN acrn_vcpu_regs: tr_sel");
_Static_assert(offsetof(struct acrn_vcpu_regs, vcpu_regs.reserved_16) == 292,
	       "ACRN acrn_vcpu_regs: reserved_16 after tr_sel, over Linux's padding and past its 296 bytes");
_Static_assert(sizeof(struct acrn_ioreq_buffer) == 8, "ACRN acrn_ioreq_buffer layout");

/*
 * Carry out hypercall `id` for the Service VM's vCPU, once the caller has
 * been checked (Service VM, 64-bit mode, CPL 0). Returns what goes into RAX:
 * 0 or a negative TERN_E* (-TERN_ENOTTY for an id Tern does not implement).
 */
int hypercall_dispatch(struct vcpu *vcpu, uint64_t id, uint64_t p1, uint64_t p2);

/*
 * Convert ACRN's register layout into the state the platform loads,
 * filling what it does not carry with the reset values: -TERN_EINVAL when
 * a reserved field is set (the state itself is checked by
 * vm_mgr_check_load_state).
 */
int hypercall_regs_to_state(const struct acrn_regs *r, struct vcpu_load_state *st);

#endif
