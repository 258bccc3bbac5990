/* SPDX-License-Identifier: BSD-3-Clause */
/* Selectors of the test guest's GDT (entry.S). */
#ifndef TG_LAYOUT_H
#define TG_LAYOUT_H
#define TG_KCODE	0x08
#define TG_KDATA	0x10
#define TG_UDATA	0x18
#define TG_UCODE	0x20
#define TG_TSS		0x28
#endif
