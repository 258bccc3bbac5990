/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Polling mode and the idle pCPU (docs/concurrency.md "Polling mode").
 *
 * In ACRN's polling mode (vm_config.ioreq_polling) the device model writes
 * COMPLETE into the slot and makes no hypercall: nothing kicks the pCPU of
 * the waiting vCPU, only the scheduler's own poll (ioreq_poll, in
 * sched_next) lets it go. A pCPU that owns such a vCPU must therefore not
 * sleep until a kick when it has nothing to run: it asks the scheduler
 * again and again (the platform's idle loop: PAUSE, not HLT) for as long
 * as this holds.
 */
#ifndef TERN_SCHED_POLL_H
#define TERN_SCHED_POLL_H

#include <stdint.h>
#include <stdbool.h>
#include "vm.h"

/*
 * true when a vCPU that pCPU `cpu` owns waits on an IOREQ of a
 * polling-mode VM that is not completed yet (ioreq_polls): the next
 * sched_next on `cpu` may find it COMPLETE without any kick.
 */
bool sched_cpu_polls(const struct tern *hv, uint16_t cpu);

#endif
