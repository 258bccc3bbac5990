/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACRN's HSM ioctl ABI (Linux include/uapi/linux/acrn.h, /dev/acrn_hsm, ioctl
 * type 0xA2) and the IOREQ page layout (acrn_common.h), as tern-dm speaks it.
 * Numbers are facts of the public ABI; every size and offset is pinned below
 * with _Static_assert so that a layout slip fails the build, not a guest.
 *
 * tern-dm reaches the hypervisor only through struct dm_hsm: one call that
 * carries (request number, payload) with ioctl(2) semantics, implemented by
 * two back-ends (hsm_dev.c: the real device; hsm_sock.c: the same numbers and
 * bytes over a Unix socket to the simulator, see hsm_sock_proto.h).
 */
#ifndef TERN_DM_HSM_H
#define TERN_DM_HSM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* _IOC encoding of asm-generic/ioctl.h: dir(2) size(14) type(8) nr(8). */
#define HSM_IOC_NONE 0u
#define HSM_IOC_WRITE 1u
#define HSM_IOC_READ 2u
#define HSM_IOC(dir, nr, size) (((uint32_t)(dir) << 30) | ((uint32_t)(size) << 16) | (0xA2u << 8) | (uint32_t)(nr))
#define HSM_IOC_SIZE(req) (((req) >> 16) & 0x3fffu)
#define HSM_IOC_DIR(req) ((req) >> 30)
#define HSM_IOC_TYPE(req) (((req) >> 8) & 0xffu)
#define HSM_IOC_NR(req) ((req) & 0xffu)

/* struct acrn_vm_creation (CREATE_VM, _IOWR). vm_flag bit 2: GUEST_FLAG_IO_COMPLETION_POLLING. */
#define ACRN_VM_FLAG_IO_COMPLETION_POLLING (1ull << 2)
struct acrn_vm_creation {
	uint16_t vmid;
	uint16_t reserved0;
	uint16_t vcpu_num;
	uint16_t reserved1;
	uint8_t name[16];
	uint64_t vm_flag;
	uint64_t ioreq_buf;
	uint64_t cpu_affinity;
};

/* struct acrn_vm_memmap (SET_MEMSEG / UNSET_MEMSEG). */
#define ACRN_MEMMAP_RAM 0u
#define ACRN_MEMMAP_MMIO 1u
#define ACRN_MEM_ACCESS_READ 0x1u
#define ACRN_MEM_ACCESS_WRITE 0x2u
#define ACRN_MEM_ACCESS_EXEC 0x4u
#define ACRN_MEM_ACCESS_RWX 0x7u
struct acrn_vm_memmap {
	uint32_t type;
	uint32_t attr;
	uint64_t user_vm_pa;
	uint64_t service_vm_pa;   /* union with vma_base for RAM */
	uint64_t len;
};

/* struct acrn_msi_entry (INJECT_MSI). */
struct acrn_msi_entry {
	uint64_t msi_addr;
	uint64_t msi_data;
};

/* struct acrn_ioreq_notify (NOTIFY_REQUEST_FINISH). */
struct acrn_ioreq_notify {
	uint16_t vmid;
	uint16_t reserved;
	uint32_t vcpu;
};

/* SET_IRQLINE's u64 argument (passed by value): struct acrn_irqline_ops. */
#define ACRN_GSI_SET_HIGH 0u
#define ACRN_GSI_SET_LOW 1u
#define ACRN_GSI_RAISING_PULSE 2u
#define ACRN_GSI_FALLING_PULSE 3u
struct acrn_irqline_ops {
	uint32_t gsi;
	uint32_t op;
};

/*
 * struct acrn_vcpu_regs (SET_VCPU_REGS): vcpu id and the initial state, as
 * Linux's uapi has it: acrn_regs ends at tr_sel (296 bytes in all, the
 * ioctl's size). The hypervisor's structure (ACRN's acrn_common.h, core/
 * hypercall.h) has reserved_16[4] after tr_sel, 304 bytes; the HSM passes
 * these 296 and the hypervisor ignores what follows (docs/hypercalls.md).
 */
struct acrn_descriptor_ptr {
	uint16_t limit;
	uint64_t base;
	uint16_t reserved[3];
} __attribute__((packed));
struct acrn_regs {
	uint64_t gprs[16];        /* rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
	struct acrn_descriptor_ptr gdt;
	struct acrn_descriptor_ptr idt;
	uint64_t rip, cs_base, cr0, cr4, cr3, ia32_efer, rflags;
	uint64_t reserved_64[4];
	uint32_t cs_ar, cs_limit;
	uint32_t reserved_32[3];
	uint16_t cs_sel, ss_sel, ds_sel, es_sel, fs_sel, gs_sel, ldt_sel, tr_sel;
};
struct acrn_vcpu_regs {
	uint16_t vcpu_id;
	uint16_t reserved[3];
	struct acrn_regs vcpu_regs;
};

#define HSM_CREATE_VM HSM_IOC(HSM_IOC_READ | HSM_IOC_WRITE, 0x10, sizeof(struct acrn_vm_creation))
#define HSM_DESTROY_VM HSM_IOC(HSM_IOC_NONE, 0x11, 0)
#define HSM_START_VM HSM_IOC(HSM_IOC_NONE, 0x12, 0)
#define HSM_PAUSE_VM HSM_IOC(HSM_IOC_NONE, 0x13, 0)
#define HSM_RESET_VM HSM_IOC(HSM_IOC_NONE, 0x15, 0)
#define HSM_SET_VCPU_REGS HSM_IOC(HSM_IOC_WRITE, 0x16, sizeof(struct acrn_vcpu_regs))
#define HSM_INJECT_MSI HSM_IOC(HSM_IOC_WRITE, 0x23, sizeof(struct acrn_msi_entry))
#define HSM_SET_IRQLINE HSM_IOC(HSM_IOC_WRITE, 0x25, sizeof(uint64_t))
#define HSM_NOTIFY_REQUEST_FINISH HSM_IOC(HSM_IOC_WRITE, 0x31, sizeof(struct acrn_ioreq_notify))
#define HSM_CREATE_IOREQ_CLIENT HSM_IOC(HSM_IOC_NONE, 0x32, 0)
#define HSM_ATTACH_IOREQ_CLIENT HSM_IOC(HSM_IOC_NONE, 0x33, 0)
#define HSM_DESTROY_IOREQ_CLIENT HSM_IOC(HSM_IOC_NONE, 0x34, 0)
#define HSM_CLEAR_VM_IOREQ HSM_IOC(HSM_IOC_NONE, 0x35, 0)
#define HSM_SET_MEMSEG HSM_IOC(HSM_IOC_WRITE, 0x41, sizeof(struct acrn_vm_memmap))
#define HSM_UNSET_MEMSEG HSM_IOC(HSM_IOC_WRITE, 0x42, sizeof(struct acrn_vm_memmap))

/* ---- the IOREQ page (struct acrn_io_request_buffer) ---- */
#define ACRN_IOREQ_STATE_PENDING 0u
#define ACRN_IOREQ_STATE_COMPLETE 1u
#define ACRN_IOREQ_STATE_PROCESSING 2u
#define ACRN_IOREQ_STATE_FREE 3u
#define ACRN_IOREQ_TYPE_PORTIO 0u
#define ACRN_IOREQ_TYPE_MMIO 1u
#define ACRN_IOREQ_TYPE_PCICFG 2u
#define ACRN_IOREQ_TYPE_WP 3u
/* acrn_common.h and uapi acrn.h: READ is 0, WRITE is 1. */
#define ACRN_IOREQ_DIR_READ 0u
#define ACRN_IOREQ_DIR_WRITE 1u
#define ACRN_IOREQ_SLOTS 16u
#define ACRN_IOREQ_PAGE_SIZE 4096u

struct acrn_pio_request {
	uint32_t direction;
	uint32_t reserved;
	uint64_t address;
	uint64_t size;
	uint32_t value;
} __attribute__((aligned(8)));
struct acrn_mmio_request {
	uint32_t direction;
	uint32_t reserved;
	uint64_t address;
	uint64_t size;
	uint64_t value;
} __attribute__((aligned(8)));
struct acrn_pci_request {
	uint32_t direction;
	uint32_t reserved[3];
	int64_t size;
	int32_t value;
	int32_t bus;
	int32_t dev;
	int32_t func;
	int32_t reg;
} __attribute__((aligned(8)));
struct acrn_io_request {
	uint32_t type;
	uint32_t completion_polling;
	uint32_t reserved0[14];
	union {
		struct acrn_pio_request pio_request;
		struct acrn_pci_request pci_request;
		struct acrn_mmio_request mmio_request;
		uint64_t data[8];
	} reqs;
	uint32_t reserved1;
	int32_t kernel_handled;
	uint32_t processed;       /* the state */
} __attribute__((aligned(256)));
struct acrn_io_request_buffer {
	struct acrn_io_request req_slot[ACRN_IOREQ_SLOTS];
};

/* Sizes and offsets: ../shared/design/ACRN-ABI.md, checked against uapi acrn.h. */
_Static_assert(sizeof(struct acrn_vm_creation) == 48, "acrn_vm_creation");
_Static_assert(offsetof(struct acrn_vm_creation, name) == 8, "acrn_vm_creation.name");
_Static_assert(offsetof(struct acrn_vm_creation, vm_flag) == 24, "acrn_vm_creation.vm_flag");
_Static_assert(offsetof(struct acrn_vm_creation, ioreq_buf) == 32, "acrn_vm_creation.ioreq_buf");
_Static_assert(offsetof(struct acrn_vm_creation, cpu_affinity) == 40, "acrn_vm_creation.cpu_affinity");
_Static_assert(sizeof(struct acrn_vm_memmap) == 32, "acrn_vm_memmap");
_Static_assert(sizeof(struct acrn_msi_entry) == 16, "acrn_msi_entry");
_Static_assert(sizeof(struct acrn_ioreq_notify) == 8, "acrn_ioreq_notify");
_Static_assert(offsetof(struct acrn_ioreq_notify, vcpu) == 4, "acrn_ioreq_notify.vcpu");
_Static_assert(sizeof(struct acrn_irqline_ops) == 8, "acrn_irqline_ops");
_Static_assert(sizeof(struct acrn_descriptor_ptr) == 16, "acrn_descriptor_ptr");
_Static_assert(sizeof(struct acrn_vcpu_regs) == 296, "acrn_vcpu_regs");
_Static_assert(offsetof(struct acrn_vcpu_regs, vcpu_regs.tr_sel) == 290, "acrn_vcpu_regs.tr_sel");
_Static_assert(sizeof(struct acrn_pio_request) == 32, "acrn_pio_request");
_Static_assert(offsetof(struct acrn_pio_request, value) == 24, "acrn_pio_request.value");
_Static_assert(sizeof(struct acrn_mmio_request) == 32, "acrn_mmio_request");
_Static_assert(sizeof(struct acrn_pci_request) == 48, "acrn_pci_request");
_Static_assert(offsetof(struct acrn_pci_request, size) == 16, "acrn_pci_request.size");
_Static_assert(offsetof(struct acrn_pci_request, value) == 24, "acrn_pci_request.value");
_Static_assert(offsetof(struct acrn_pci_request, bus) == 28, "acrn_pci_request.bus");
_Static_assert(offsetof(struct acrn_pci_request, reg) == 40, "acrn_pci_request.reg");
_Static_assert(sizeof(struct acrn_io_request) == 256, "acrn_io_request");
_Static_assert(offsetof(struct acrn_io_request, reqs) == 64, "acrn_io_request.reqs");
_Static_assert(offsetof(struct acrn_io_request, kernel_handled) == 132, "acrn_io_request.kernel_handled");
_Static_assert(offsetof(struct acrn_io_request, processed) == 136, "acrn_io_request.processed");
_Static_assert(sizeof(struct acrn_io_request_buffer) == 4096, "acrn_io_request_buffer");

_Static_assert(HSM_CREATE_VM == 0xc030a210u, "CREATE_VM");
_Static_assert(HSM_DESTROY_VM == 0xa211u, "DESTROY_VM");
_Static_assert(HSM_START_VM == 0xa212u, "START_VM");
_Static_assert(HSM_SET_VCPU_REGS == 0x4128a216u, "SET_VCPU_REGS");
_Static_assert(HSM_INJECT_MSI == 0x4010a223u, "INJECT_MSI");
_Static_assert(HSM_SET_IRQLINE == 0x4008a225u, "SET_IRQLINE");
_Static_assert(HSM_NOTIFY_REQUEST_FINISH == 0x4008a231u, "NOTIFY_REQUEST_FINISH");
_Static_assert(HSM_CREATE_IOREQ_CLIENT == 0xa232u, "CREATE_IOREQ_CLIENT");
_Static_assert(HSM_SET_MEMSEG == 0x4020a241u, "SET_MEMSEG");

/* ---- tern-dm's door ---- */
struct dm_hsm;
struct dm_hsm_ops {
	/*
	 * One request with ioctl(2) semantics: nr is the full request number,
	 * arg points at HSM_IOC_SIZE(nr) bytes (updated for _IOR requests);
	 * SET_IRQLINE's arg points at its u64. Returns 0 or a negative errno.
	 */
	int (*call)(struct dm_hsm *h, uint32_t nr, void *arg);
	/*
	 * CREATE_VM plus what the back-end must provide with it: the mapped
	 * IOREQ page (h->ioreq_page) and h->wait_fd. vm->vmid is filled in.
	 */
	int (*create_vm)(struct dm_hsm *h, struct acrn_vm_creation *vm);
	/* SET_MEMSEG for guest RAM at gpa 0..len; maps it at h->ram. */
	int (*map_ram)(struct dm_hsm *h, uint64_t len);
	void (*close)(struct dm_hsm *h);
};

struct dm_hsm {
	const struct dm_hsm_ops *ops;
	int fd;                   /* /dev/acrn_hsm or the socket; -1 if none */
	int wait_fd;              /* readable when requests may be waiting */
	int ram_fd;               /* the simulator's memfd of host RAM, or -1 */
	uint16_t vmid;
	volatile struct acrn_io_request *ioreq_page;
	uint8_t *ram;             /* guest RAM as mapped here */
	uint64_t ram_len;
	void *backend;            /* the back-end's own state */
};

static inline int dm_hsm_call(struct dm_hsm *h, uint32_t nr, void *arg)
{
	return h->ops->call(h, nr, arg);
}

/* The back-ends. 0 or a negative errno; *err says what failed. */
int dm_hsm_dev_open(struct dm_hsm *h, const char *path, const char **err);
int dm_hsm_sock_open(struct dm_hsm *h, const char *path, const char **err);
/* The socket back-end over fd, a connected stream socket (the fuzzer's socketpair). */
void dm_hsm_sock_attach(struct dm_hsm *h, int fd);

#endif
