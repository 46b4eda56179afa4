/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layout checks are compile-time; this pins the values user space sends. */
#include "srd-uapi.h"
#include "tests.h"

TEST(ioctl_numbers) {
        ASSERT_EQ(SECCOMP_IOCTL_NOTIF_PIN_INSTALL, 0xC0282105u);
        ASSERT_EQ(SECCOMP_IOCTL_NOTIF_SEND_REDIRECT, 0x40782106u);
        ASSERT_EQ(SECCOMP_FILTER_FLAG_REDIRECT, 1u << 6);
}

TEST(struct_sizes) {
        ASSERT_EQ(sizeof(struct seccomp_notif_pin_install), 40);
        ASSERT_EQ(sizeof(struct seccomp_notif_resp_redirect), 120);
}

TESTS_MAIN
