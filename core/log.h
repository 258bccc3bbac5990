/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging from core: formats a line and hands it to plat_log(). */
#ifndef TERN_LOG_H
#define TERN_LOG_H

#include "platform.h"

#define TERN_LOG_LINE 160

void tern_log(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) tern_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) tern_log(LOG_WARN, __VA_ARGS__)
#define log_info(...) tern_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) tern_log(LOG_DEBUG, __VA_ARGS__)

#endif
