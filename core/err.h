/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tern's error numbers. core/ cannot include <errno.h>, so these mirror the
 * Linux values (which is also what ACRN's hypercall ABI returns, negated).
 * Every fallible core function returns 0 or the negative of one of these.
 */
#ifndef TERN_ERR_H
#define TERN_ERR_H

#define TERN_EPERM   1
#define TERN_ENOENT  2
#define TERN_EIO     5
#define TERN_EACCES  13
#define TERN_E2BIG   7
#define TERN_EAGAIN  11
#define TERN_ENOMEM  12
#define TERN_EFAULT  14
#define TERN_EBUSY   16
#define TERN_EEXIST  17
#define TERN_ENODEV  19
#define TERN_EINVAL  22
#define TERN_ENOSPC  28
#define TERN_ERANGE  34
#define TERN_ENOTTY  25
#define TERN_ENOSYS  38
#define TERN_ENOTSUP 95

#endif
