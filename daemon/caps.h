/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Keep only the capabilities the daemon uses once its sockets are bound and
 * its policies loaded, empty the bounding set, and set no_new_privs.
 * Returns 0 or a negative errno (already logged).
 */
int drop_capabilities(void);
