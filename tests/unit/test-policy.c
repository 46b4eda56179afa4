/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy loader, table-driven: every kind of mistake a policy author can
 * make, each with the exact diagnostic (file:line:col: where: message) it must
 * produce, plus the demo policy accepted as written.
 */
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "policy-internal.h"
#include "seccomp-redirect.h"
#include "tests.h"

typedef struct Case {
        const char *text;
        const char *expected; /* the diagnostics, one per line */
} Case;

/* Rule snippets go on line 3 of this document, starting at column 1. */
#define RULE_PREFIX "{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\",\n\"rules\": [\n"
#define RULE_SUFFIX "\n]}\n"

static const char demo_policy[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"demo\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"hosts\", \"names\": [\"open\", \"openat\", \"openat2\"],\n"
        "      \"path\": { \"exact\": \"/etc/hosts\" },\n"
        "      \"action\": \"redirect\", \"to\": \"/sandbox/etc/hosts\" },\n"
        "    { \"name\": \"secrets\", \"names\": [\"openat\", \"newfstatat\", \"statx\"],\n"
        "      \"path\": { \"prefix\": \"/etc/secrets/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"/sandbox/secrets/{suffix}\" },\n"
        "    { \"name\": \"no-forbidden\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/forbidden*\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EACCES\", \"log\": true },\n"
        "    { \"name\": \"usr-read-only-ok\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"prefix\": \"/usr/\" },\n"
        "      \"args\": [ { \"index\": 2, \"op\": \"SCMP_CMP_MASKED_EQ\", \"value\": 3, \"valueTwo\": 0 } "
        "],\n"
        "      \"action\": \"continue\" },\n"
        "    { \"name\": \"usr-no-writes\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"prefix\": \"/usr/\" },\n"
        "      \"action\": \"errno\", \"errno\": \"EROFS\" },\n"
        "    { \"name\": \"no-packet-sockets\", \"names\": [\"socket\"],\n"
        "      \"args\": [ { \"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 17 } ],\n"
        "      \"action\": \"errno\", \"errno\": \"EAFNOSUPPORT\" },\n"
        "    { \"name\": \"force-read-only\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"/etc/motd\" },\n"
        "      \"action\": \"redirect\", \"set\": [ { \"index\": 2, \"value\": 0, \"mask\": 3 } ] }\n"
        "  ]\n"
        "}\n";

static const Case rule_errors[] = {
        {"{\"names\": [\"openat\"], \"action\": \"redirct\", \"to\": \"/x\"}",
         "t.json:3:33: rules[0].action: unknown action \"redirct\" (did you mean \"redirect\"?)"},
        {"{\"names\": [\"openat\"], \"action\": \"allow\"}",
         "t.json:3:33: rules[0].action: unknown action \"allow\" (expected continue, errno, kill or "
         "redirect)"},
        {"{\"names\": [\"openat\"], \"action\": 1}", "t.json:3:33: rules[0].action: expected an action "
                                                     "(continue, errno, kill or redirect), got a number"},
        {"{\"names\": [\"openat\"]}", "t.json:3:1: rules[0]: missing required key \"action\""},
        {"{\"names\": [\"openat\"], \"action\": \"continue\", \"acton\": \"x\"}",
         "t.json:3:45: rules[0].acton: unknown key \"acton\" (did you mean \"action\"?)"},
        {"{\"names\": [\"openat\"], \"action\": \"continue\", \"whatever\": 1}",
         "t.json:3:45: rules[0].whatever: unknown key \"whatever\" (allowed here: name, description, names, "
         "path, args, action, errno, to, set, log)"},
        {"{\"names\": [\"openat\"], \"action\": \"continue\", \"Log\": true}",
         "t.json:3:45: rules[0].Log: unknown key \"Log\" (did you mean \"log\"?)"},
        {"{\"names\": [\"openat\"], \"action\": \"continue\", \"log\": \"yes\"}",
         "t.json:3:52: rules[0].log: expected true or false, got a string"},
        {"\"openat\"", "t.json:3:1: rules[0]: expected a rule object, got a string"},
        {"{\"action\": \"continue\"}", "t.json:3:1: rules[0]: missing required key \"names\""},
        {"{\"names\": \"openat\", \"action\": \"continue\"}",
         "t.json:3:11: rules[0].names: expected a non-empty array of syscall names, got a string"},
        {"{\"names\": [], \"action\": \"continue\"}",
         "t.json:3:11: rules[0].names: expected a non-empty array of syscall names"},
        {"{\"names\": [1], \"action\": \"continue\"}",
         "t.json:3:12: rules[0].names[0]: expected a syscall name, got a number"},
        {"{\"names\": [\"opnat\"], \"action\": \"continue\"}",
         "t.json:3:12: rules[0].names[0]: unknown syscall \"opnat\" (did you mean \"openat\"?)"},
        {"{\"names\": [\"no_such_syscall_at_all\"], \"action\": \"continue\"}",
         "t.json:3:12: rules[0].names[0]: unknown syscall \"no_such_syscall_at_all\""},
        {"{\"names\": [\"openat\", \"openat\"], \"action\": \"continue\"}",
         "t.json:3:22: rules[0].names[1]: syscall \"openat\" is listed twice"},
        {"{\"names\": [\"openat\"], \"action\": \"errno\"}",
         "t.json:3:1: rules[0]: missing required key \"errno\" (\"action\" is \"errno\")"},
        {"{\"names\": [\"openat\"], \"action\": \"errno\", \"errno\": \"EPRM\"}",
         "t.json:3:51: rules[0].errno: unknown errno \"EPRM\" (did you mean \"EPERM\"?)"},
        {"{\"names\": [\"openat\"], \"action\": \"errno\", \"errno\": \"EBOGUS\"}",
         "t.json:3:51: rules[0].errno: unknown errno \"EBOGUS\""},
        {"{\"names\": [\"openat\"], \"action\": \"errno\", \"errno\": 0}",
         "t.json:3:51: rules[0].errno: errno 0 out of range (1..4095)"},
        {"{\"names\": [\"openat\"], \"action\": \"errno\", \"errno\": 4096}",
         "t.json:3:51: rules[0].errno: errno 4096 out of range (1..4095)"},
        {"{\"names\": [\"openat\"], \"action\": \"errno\", \"errno\": -1}",
         "t.json:3:51: rules[0].errno: expected a non-negative integer, got -1"},
        {"{\"names\": [\"openat\"], \"action\": \"errno\", \"errno\": true}",
         "t.json:3:51: rules[0].errno: expected an errno name such as \"EPERM\" or a number, got a boolean"},
        {"{\"names\": [\"openat\"], \"action\": \"continue\", \"errno\": \"EPERM\"}",
         "t.json:3:45: rules[0].errno: \"errno\" only applies when \"action\" is \"errno\""},
        {"{\"names\": [\"openat\"], \"name\": \"a b\", \"action\": \"continue\"}",
         "t.json:3:31: rules[0].name: invalid rule name \"a b\": use 1 to 64 characters out of A-Z a-z 0-9 "
         ". _ -"},
        {"{\"names\": [\"openat\"], \"name\": \"\", \"action\": \"continue\"}",
         "t.json:3:31: rules[0].name: invalid rule name \"\": use 1 to 64 characters out of A-Z a-z 0-9 . _ "
         "-"},
        {"{\"names\": [\"openat\"], \"name\": 5, \"action\": \"continue\"}",
         "t.json:3:31: rules[0].name: expected a string, got a number"},
        {"{\"names\": [\"openat\"], \"description\": 5, \"action\": \"continue\"}",
         "t.json:3:38: rules[0].description: expected a string, got a number"},
        {"{\"names\": [\"openat\"], \"path\": \"/etc\", \"action\": \"continue\"}",
         "t.json:3:31: rules[0].path: expected an object with one of \"exact\", \"prefix\", \"glob\", got a "
         "string"},
        {"{\"names\": [\"openat\"], \"path\": {}, \"action\": \"continue\"}",
         "t.json:3:31: rules[0].path: expected exactly one of \"exact\", \"prefix\", \"glob\""},
        {"{\"names\": [\"openat\"], \"path\": {\"exact\": \"/a\", \"glob\": \"/b\"}, \"action\": "
         "\"continue\"}",
         "t.json:3:47: rules[0].path.glob: \"exact\" and \"glob\" both given: use exactly one of \"exact\", "
         "\"prefix\", \"glob\""},
        {"{\"names\": [\"openat\"], \"path\": {\"exakt\": \"/a\"}, \"action\": \"continue\"}",
         "t.json:3:32: rules[0].path.exakt: unknown key \"exakt\" (did you mean \"exact\"?)"},
        {"{\"names\": [\"openat\"], \"path\": {\"exact\": \"etc/hosts\"}, \"action\": \"continue\"}",
         "t.json:3:41: rules[0].path.exact: path \"etc/hosts\" is not an absolute path"},
        {"{\"names\": [\"openat\"], \"path\": {\"exact\": 1}, \"action\": \"continue\"}",
         "t.json:3:41: rules[0].path.exact: expected a path, got a number"},
        {"{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/etc/./x/\"}, \"action\": \"continue\"}",
         "t.json:3:42: rules[0].path.prefix: prefix \"/etc/./x/\" is not normalized and would never match "
         "(did you mean \"/etc/x/\"?)"},
        {"{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/a/../b\"}, \"action\": \"continue\"}",
         "t.json:3:42: rules[0].path.prefix: prefix \"/a/../b\" is not normalized and would never match "
         "(did you mean \"/b\"?)"},
        {"{\"names\": [\"openat\"], \"path\": {\"glob\": \"/tmp/[ab\"}, \"action\": \"continue\"}",
         "t.json:3:40: rules[0].path.glob: unterminated '[' in glob at offset 5"},
        {"{\"names\": [\"openat\"], \"path\": {\"glob\": \"tmp/*\"}, \"action\": \"continue\"}",
         "t.json:3:40: rules[0].path.glob: path \"tmp/*\" is not an absolute path"},
        {"{\"names\": [\"socket\"], \"path\": {\"exact\": \"/x\"}, \"action\": \"continue\"}",
         "t.json:3:12: rules[0].names[0]: syscall \"socket\" has no path argument, so the path condition "
         "never matches it"},
        {"{\"names\": [\"openat\"], \"args\": {}, \"action\": \"continue\"}",
         "t.json:3:31: rules[0].args: expected an array of argument conditions, got an object"},
        {"{\"names\": [\"openat\"], \"args\": [1], \"action\": \"continue\"}",
         "t.json:3:32: rules[0].args[0]: expected an object with \"arg\", \"op\", \"value\", got a "
         "number"},
        {"{\"names\": [\"openat\"], \"args\": [{}], \"action\": \"continue\"}",
         "t.json:3:32: rules[0].args[0]: missing required key \"arg\" (or \"index\")\n"
         "t.json:3:32: rules[0].args[0]: missing required key \"op\"\n"
         "t.json:3:32: rules[0].args[0]: missing required key \"value\""},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 6, \"op\": \"SCMP_CMP_EQ\", \"value\": 1}], "
         "\"action\": \"continue\"}",
         "t.json:3:42: rules[0].args[0].index: argument index 6 out of range (0..5)"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"EQ\", \"value\": 1}], \"action\": "
         "\"continue\"}",
         "t.json:3:51: rules[0].args[0].op: unknown comparator \"EQ\" (did you mean \"SCMP_CMP_EQ\"?)"},
        {"{\"names\": [\"socket\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": "
         "\"AF_PAKET\"}], \"action\": \"continue\"}",
         "t.json:3:75: rules[0].args[0].value: unknown constant \"AF_PAKET\" (did you mean \"AF_PACKET\"?) "
         "(expected a name such as \"O_WRONLY\" or a number)"},
        {"{\"names\": [\"socket\"], \"args\": [{\"arg\": \"type\", \"op\": \"SCMP_CMP_MASKED_EQ\", \"value\": "
         "\"0xf\", \"valueTwo\": \"SOCK_RAW||\"}], \"action\": \"continue\"}",
         "t.json:3:104: rules[0].args[0].valueTwo: empty part in value \"SOCK_RAW||\" (join constants with a "
         "single '|')"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"arg\": \"flags\", \"value\": "
         "\"O_RDONLY\", \"mask\": \"O_ACMODE\"}]}",
         "t.json:3:99: rules[0].set[0].mask: unknown constant \"O_ACMODE\" (did you mean \"O_ACCMODE\"?) "
         "(expected a name such as \"O_WRONLY\" or a number)"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 1.0}], "
         "\"action\": \"continue\"}",
         "t.json:3:75: rules[0].args[0].value: expected an integer, got 1.0"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 1e3}], "
         "\"action\": \"continue\"}",
         "t.json:3:75: rules[0].args[0].value: expected an integer, got 1e3"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": -0}], "
         "\"action\": \"continue\"}",
         "t.json:3:75: rules[0].args[0].value: expected a non-negative integer, got -0"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": "
         "18446744073709551616}], \"action\": \"continue\"}",
         "t.json:3:75: rules[0].args[0].value: number 18446744073709551616 out of range (at most "
         "18446744073709551615)"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 1, "
         "\"valueTwo\": 2}], \"action\": \"continue\"}",
         "t.json:3:78: rules[0].args[0].valueTwo: \"valueTwo\" only applies to SCMP_CMP_MASKED_EQ"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\", \"value\": 1, "
         "\"valueTwo\": 2}], \"action\": \"continue\"}",
         "t.json:3:97: rules[0].args[0].valueTwo: can never match: valueTwo has bits outside the mask in "
         "\"value\""},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 1, "
         "\"valeu\": 2}], \"action\": \"continue\"}",
         "t.json:3:78: rules[0].args[0].valeu: unknown key \"valeu\" (did you mean \"value\"?)"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\"}",
         "t.json:3:33: rules[0].action: a redirect needs \"to\" (a new path) and/or \"set\" (argument "
         "rewrites)"},
        {"{\"names\": [\"openat\"], \"action\": \"continue\", \"to\": \"/x\"}",
         "t.json:3:45: rules[0].to: \"to\" only applies when \"action\" is \"redirect\""},
        {"{\"names\": [\"openat\"], \"action\": \"errno\", \"errno\": \"EPERM\", \"set\": []}",
         "t.json:3:60: rules[0].set: \"set\" only applies when \"action\" is \"redirect\""},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"to\": \"x\"}",
         "t.json:3:51: rules[0].to: redirect target \"x\" is not an absolute path"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"to\": \"/a/../b\"}",
         "t.json:3:51: rules[0].to: redirect target must not contain \"..\""},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"to\": \"/a/{path}\"}",
         "t.json:3:51: rules[0].to: {path} needs a \"path\" condition on the rule"},
        {"{\"names\": [\"openat\"], \"path\": {\"exact\": \"/a\"}, \"action\": \"redirect\", \"to\": "
         "\"/a/{suffix}\"}",
         "t.json:3:76: rules[0].to: {suffix} needs a \"prefix\" path condition on the rule"},
        {"{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/a/\"}, \"action\": \"redirect\", \"to\": "
         "\"/b/{sufix}\"}",
         "t.json:3:78: rules[0].to: unknown placeholder \"{sufix}\" in redirect target (use {path}, "
         "{suffix} or {id})"},
        {"{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/a/\"}, \"action\": \"redirect\", \"to\": "
         "\"/b/{suffix\"}",
         "t.json:3:78: rules[0].to: unmatched '{' in redirect target"},
        {"{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/a/\"}, \"action\": \"redirect\", \"to\": "
         "\"/b/}\"}",
         "t.json:3:78: rules[0].to: unmatched '}' in redirect target"},
        {"{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/a/\"}, \"action\": \"redirect\", \"to\": "
         "\"{suffix}\"}",
         "t.json:3:78: rules[0].to: redirect target \"{suffix}\" is not an absolute path"},
        {"{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/a/\"}, \"action\": \"redirect\", \"to\": "
         "\"/b/../{suffix}\"}",
         "t.json:3:78: rules[0].to: redirect target must not contain \"..\""},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"to\": 5}",
         "t.json:3:51: rules[0].to: expected a path or a template with {path}, {suffix} or {id}, got a number"},
        {"{\"names\": [\"socket\"], \"action\": \"redirect\", \"to\": \"/x\"}",
         "t.json:3:12: rules[0].names[0]: syscall \"socket\" has no path argument, so \"to\" has nothing to "
         "rewrite"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": {}}",
         "t.json:3:52: rules[0].set: expected an array of argument rewrites, got an object"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"index\": 1, \"value\": 0}]}",
         "t.json:3:63: rules[0].set[0].index: argument 1 of \"openat\" is a path: rewrite paths with "
         "\"to\""},
        {"{\"names\": [\"openat\", \"openat2\"], \"action\": \"redirect\", \"set\": [{\"index\": 2, \"value\": 0}, "
         "{\"index\": 3, \"value\": 0}]}",
         "t.json:3:74: rules[0].set[0].index: argument 2 of \"openat2\" is a pointer to its struct open_how, not a "
         "scalar to set\n"
         "t.json:3:100: rules[0].set[1].index: argument 3 of \"openat2\" is the size of its struct open_how, not a "
         "scalar to set"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"index\": 2, \"value\": 0}, "
         "{\"index\": 2, \"value\": 1}]}",
         "t.json:3:89: rules[0].set[1].index: argument 2 is already rewritten by set[0]"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"value\": 0, \"mask\": -1}]}",
         "t.json:3:53: rules[0].set[0]: missing required key \"arg\" (or \"index\")\n"
         "t.json:3:74: rules[0].set[0].mask: expected a non-negative integer, got -1"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"index\": 2, \"value\": 0, "
         "\"msk\": 1}]}",
         "t.json:3:78: rules[0].set[0].msk: unknown key \"msk\" (did you mean \"mask\"?)"},
        /* A duplicate key inside an array element is located by its full path. */
        {"{\"names\": [\"openat\"], \"action\": \"continue\", \"action\": \"kill\"}",
         "t.json:3:45: rules[0].action: duplicate key \"action\" (first at 3:23); keys must be unique"},
        /* Syscall groups. */
        {"{\"names\": [\"@fle-write\"], \"action\": \"continue\"}",
         "t.json:3:12: rules[0].names[0]: unknown syscall group \"@fle-write\" (did you mean \"@file-write\"?) (see "
         "SYSCALL GROUPS in seccomp-redirectd.policy(5))"},
        {"{\"names\": [\"@mount\", \"umount2\", \"@mount\"], \"action\": \"continue\"}",
         "t.json:3:33: rules[0].names[2]: syscall group \"@mount\" is listed twice"},
        {"{\"names\": [\"@socket\"], \"args\": [{\"arg\": \"flags\", \"op\": \"SCMP_CMP_EQ\", \"value\": 1}], "
         "\"action\": \"continue\"}",
         "t.json:3:41: rules[0].args[0].arg: \"socket\" has no argument \"flags\" (its arguments: domain, type, "
         "protocol)"},
        /* Arguments by role, and indexes that mean something else or nothing. */
        {"{\"names\": [\"open\", \"openat\", \"openat2\"], \"args\": [{\"index\": 2, \"op\": \"SCMP_CMP_EQ\", "
         "\"value\": 1}], \"action\": \"continue\"}",
         "t.json:3:61: rules[0].args[0].index: argument 2 is \"mode\" of \"open\", \"flags\" of \"openat\" but "
         "\"how\" of \"openat2\": name the argument by its role instead, \"arg\": \"mode\" or \"arg\": \"flags\""},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"index\": 5, \"value\": 0}]}",
         "t.json:3:63: rules[0].set[0].index: argument index 5 is beyond the arguments of \"openat\" (0..3)"},
        {"{\"names\": [\"socket\"], \"args\": [{\"index\": 4, \"op\": \"SCMP_CMP_EQ\", \"value\": 1}], "
         "\"action\": \"continue\"}",
         "t.json:3:42: rules[0].args[0].index: argument index 4 is beyond the arguments of \"socket\" (0..2)"},
        {"{\"names\": [\"getpid\"], \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 1}], "
         "\"action\": \"continue\"}",
         "t.json:3:42: rules[0].args[0].index: argument index 0: \"getpid\" takes no arguments"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"index\": 2, \"value\": 0, \"mask\": "
         "0}]}",
         "t.json:3:86: rules[0].set[0].mask: mask 0 rewrites no bit: leave \"mask\" out to set the whole "
         "argument"},
        {"{\"names\": [\"openat\"], \"args\": [{\"index\": 1, \"op\": \"SCMP_CMP_EQ\", \"value\": 1}], "
         "\"action\": \"continue\"}",
         "t.json:3:42: rules[0].args[0].index: argument 1 of \"openat\" (\"filename\") is a pointer: a "
         "condition would compare its address, not what it points to"},
        {"{\"names\": [\"ptrace\", \"mount\"], \"args\": [{\"arg\": \"data\", \"op\": \"SCMP_CMP_EQ\", "
         "\"value\": 1}], \"action\": \"continue\"}",
         "t.json:3:49: rules[0].args[0].arg: argument 4 of \"mount\" (\"data\") is a pointer: a condition "
         "would compare its address, not what it points to"},
        {"{\"names\": [\"openat\"], \"args\": [{\"arg\": \"flgs\", \"op\": \"SCMP_CMP_EQ\", \"value\": 1}], "
         "\"action\": \"continue\"}",
         "t.json:3:40: rules[0].args[0].arg: \"openat\" has no argument \"flgs\" (did you mean \"flags\"?) (its "
         "arguments: dirfd, filename, flags, mode)"},
        {"{\"names\": [\"openat\", \"socket\"], \"args\": [{\"arg\": \"flags\", \"op\": \"SCMP_CMP_EQ\", "
         "\"value\": 1}], \"action\": \"continue\"}",
         "t.json:3:50: rules[0].args[0].arg: \"socket\" has no argument \"flags\" (its arguments: domain, type, "
         "protocol)"},
        {"{\"names\": [\"openat2\"], \"action\": \"redirect\", \"set\": [{\"arg\": \"flags\", \"value\": 0}]}",
         "t.json:3:62: rules[0].set[0].arg: open_how.flags of \"openat2\" cannot be rewritten: \"set\" "
         "rewrites registers only"},
        {"{\"names\": [\"openat2\"], \"args\": [{\"arg\": \"flags\", \"index\": 1, \"op\": \"SCMP_CMP_EQ\", "
         "\"value\": 1}], \"action\": \"continue\"}",
         "t.json:3:34: rules[0].args[0].arg: \"index\" and \"arg\" both given: name the argument one way"},
        {"{\"names\": [\"openat\"], \"action\": \"redirect\", \"set\": [{\"arg\": \"flags\", \"value\": 0}, "
         "{\"index\": 2, \"value\": 1}]}",
         "t.json:3:93: rules[0].set[1].index: argument 2 is already rewritten by set[0]"},
        {"{\"names\": [\"openat\"], \"args\": [{\"arg\": 2, \"op\": \"SCMP_CMP_EQ\", \"value\": 1}], "
         "\"action\": \"continue\"}",
         "t.json:3:40: rules[0].args[0].arg: expected an argument's role such as \"flags\", got a number"},
};

static const Case policy_errors[] = {
        {"1", "t.json:1:1: expected a JSON object (one policy per file), got a number"},
        {"  null ", "t.json:1:3: expected a JSON object (one policy per file), got null"},
        {"[]", "t.json:1:1: expected a JSON object (one policy per file), got an array"},
        {"{}", "t.json:1:1: not a seccomp-redirectd policy: expected an object with \"version\", \"name\", "
               "\"defaultAction\" and \"rules\""},
        {"{\"name\": \"x\", \"rules\": []}", "t.json:1:1: missing required key \"version\"\n"
                                             "t.json:1:1: missing required key \"defaultAction\""},
        {"{\"$schema\": \"x\", \"description\": \"d\", \"type\": \"object\"}",
         "t.json:1:1: not a seccomp-redirectd policy: expected an object with \"version\", \"name\", "
         "\"defaultAction\" and \"rules\""},
        {"{\"version\": 2, \"nme\": 1}",
         "t.json:1:13: version: unsupported version 2 (this loader reads version 1)"},
        {"{\"version\": \"1\", \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": []}",
         "t.json:1:13: version: expected a non-negative integer, got a string"},
        {"{\"version\": 1.0, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": []}",
         "t.json:1:13: version: expected an integer, got 1.0"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"redirect\", \"rules\": []}",
         "t.json:1:46: defaultAction: \"redirect\" cannot be the default action (use continue, errno or "
         "kill)"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"errno\", \"rules\": []}",
         "t.json:1:1: missing required key \"defaultErrno\" (\"defaultAction\" is \"errno\")"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"kill\", \"defaultErrno\": \"EPERM\", "
         "\"rules\": []}",
         "t.json:1:54: defaultErrno: \"defaultErrno\" only applies when \"defaultAction\" is \"errno\""},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"errno\", \"defaultErrno\": \"ENOSYS\", "
         "\"rules\": {}}",
         "t.json:1:90: rules: expected an array of rules, got an object"},
        {"{\"version\": 1, \"name\": \"../etc\", \"defaultAction\": \"continue\", \"rules\": []}",
         "t.json:1:24: name: invalid policy name \"../etc\": use 1 to 64 characters out of A-Z a-z 0-9 . _ "
         "-"},
        {"{\"version\": 1, \"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
         "\"defaultAction\": \"continue\", \"rules\": []}",
         "t.json:1:24: name: invalid policy name "
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"...: use 1 to 64 characters "
         "out of A-Z a-z 0-9 . _ -"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultaction\": \"continue\", \"rules\": []}",
         "t.json:1:29: defaultaction: unknown key \"defaultaction\" (did you mean \"defaultAction\"?)"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [], "
         "\"redirectFallback\": \"errno\"}",
         "t.json:1:91: redirectFallback: expected an object with \"action\" and \"errno\", got a string"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [], "
         "\"redirectFallback\": {}}",
         "t.json:1:91: redirectFallback: missing required key \"action\""},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [], "
         "\"redirectFallback\": {\"action\": \"redirect\"}}",
         "t.json:1:102: redirectFallback.action: \"redirect\" cannot be the fallback of a redirect (use "
         "continue, errno or kill)"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [], "
         "\"redirectFallback\": {\"action\": \"kill\", \"errno\": \"EPERM\"}}",
         "t.json:1:110: redirectFallback.errno: \"errno\" only applies when \"action\" is \"errno\""},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [], "
         "\"redirectFallback\": {\"action\": \"errno\", \"errno\": \"EPERM\", \"log\": true}}",
         "t.json:1:129: redirectFallback.log: unknown key \"log\" (allowed here: action, errno)"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [], \"name\": "
         "\"u\"}",
         "t.json:1:71: name: duplicate key \"name\" (first at 1:16); keys must be unique"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [",
         "t.json:1:68: unexpected end of input, expected a value"},
};

/* Multi-line documents, where line numbers and ordering matter. */
static const Case layout_errors[] = {
        {"{\n"
         "  \"version\": 1,\n"
         "  \"name\": \"web\",\n"
         "  \"defaultAction\": \"continue\",\n"
         "  \"rules\": [\n"
         "    { \"name\": \"a\", \"names\": [\"openat\"], \"action\": \"continue\" },\n"
         "    { \"name\": \"b\", \"names\": [\"openat\"], \"action\": \"continue\" },\n"
         "    { \"name\": \"c\", \"names\": [\"openat\"],\n"
         "      \"path\": { \"prefix\": \"/srv/\" },\n"
         "      \"to\": \"/sandbox/{suffix}\",\n"
         "      \"log\": false,\n"
         "        \"action\": \"redirct\" }\n"
         "  ]\n"
         "}\n",
         "web.json:12:19: rules[2].action: unknown action \"redirct\" (did you mean \"redirect\"?)"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [\n"
         "  {\"name\": \"a\", \"names\": [\"openat\"], \"action\": \"continue\"},\n"
         "  {\"name\": \"b\", \"names\": [\"openat\"], \"action\": \"continue\"},\n"
         "  {\"name\": \"a\", \"names\": [\"openat\"], \"action\": \"continue\"},\n"
         "  {\"name\": \"a\", \"names\": [\"openat\"], \"action\": \"continue\"}]}\n",
         "web.json:4:12: rules[2].name: duplicate rule name \"a\" (already used by rules[0] at 2:3)\n"
         "web.json:5:12: rules[3].name: duplicate rule name \"a\" (already used by rules[0] at 2:3)"},
        /* Errors come out in file order, whatever order they were found in. */
        {"{\"rules\": [{\"names\": [\"opnat\"], \"action\": \"kil\"}],\n"
         " \"name\": \"x y\",\n"
         " \"version\": 1, \"defaultAction\": \"errno\", \"defaultErrno\": \"EPRM\", \"extra\": 1}\n",
         "web.json:1:23: rules[0].names[0]: unknown syscall \"opnat\" (did you mean \"openat\"?)\n"
         "web.json:1:43: rules[0].action: unknown action \"kil\" (did you mean \"kill\"?)\n"
         "web.json:2:10: name: invalid policy name \"x y\": use 1 to 64 characters out of A-Z a-z 0-9 . _ "
         "-\n"
         "web.json:3:58: defaultErrno: unknown errno \"EPRM\" (did you mean \"EPERM\"?)\n"
         "web.json:3:66: extra: unknown key \"extra\" (allowed here: version, name, description, "
         "defaultAction, "
         "defaultErrno, redirectFallback, pathError, rules)"},
        /* Syntax errors: json-c would say "unexpected character" at an offset; we say where. */
        {"{\n  \"version\": 1,\n  \"name\": \"t\"\n  \"rules\": []\n}\n",
         "web.json:4:3: unexpected '\"', expected ',' or '}'"},
        {"{\n  \"version\": 1,\n  \"rules\": [],\n  \"rules\": []\n}\n",
         "web.json:1:1: missing required key \"name\"\n"
         "web.json:1:1: missing required key \"defaultAction\"\n"
         "web.json:4:3: rules: duplicate key \"rules\" (first at 3:3); keys must be unique"},
        {"{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [{\"names\": "
         "[\"openat\"], "
         "\"action\": \"continue\",}]}",
         "web.json:1:110: trailing comma before '}'"},
};

static char *load_diags(const char *text, size_t len, const char *file, int *ret_r, SrdPolicy **ret_policy) {
        SrdPolicy *p = NULL;
        SrdDiagList d = {};
        char *out = strdup("");

        *ret_r = srd_policy_load_buffer(text, len, file, &p, &d);
        for (size_t i = 0; i < d.n; i++) {
                char *s = srd_diag_format(&d.items[i]), *t = NULL;

                if (!s || asprintf(&t, "%s%s%s", out, i > 0 ? "\n" : "", s) < 0)
                        abort();
                free(out);
                free(s);
                out = t;
        }
        srd_diag_list_clear(&d);
        if (ret_policy)
                *ret_policy = p;
        else
                srd_policy_unref(p);
        return out;
}

static void run_cases(const Case *cases, size_t n, const char *prefix, const char *suffix,
                      const char *file) {
        for (size_t i = 0; i < n; i++) {
                char *text = NULL, *got;
                SrdPolicy *p = NULL;
                int r;

                if (asprintf(&text, "%s%s%s", prefix, cases[i].text, suffix) < 0)
                        abort();
                got = load_diags(text, strlen(text), file, &r, &p);
                if (!streq(got, cases[i].expected) || r != -EINVAL || p) {
                        printf("# case %zu: r=%d\n#   input:    %s\n#   got:      %s\n#   expected: %s\n", i,
                               r, cases[i].text, got, cases[i].expected);
                        test_failed_ = 1;
                }
                srd_policy_unref(p);
                free(got);
                free(text);
        }
}

TEST(rule_errors) {
        run_cases(rule_errors, ELEMENTSOF(rule_errors), RULE_PREFIX, RULE_SUFFIX, "t.json");
}

TEST(policy_errors) {
        run_cases(policy_errors, ELEMENTSOF(policy_errors), "", "", "t.json");
}

TEST(layout_errors) {
        run_cases(layout_errors, ELEMENTSOF(layout_errors), "", "", "web.json");
}

TEST(demo_policy) {
        SrdPolicy *p = NULL;
        SrdAction a;
        const SrdRule *r;
        int *nrs = NULL, e, rv;
        size_t n;
        char *got = load_diags(demo_policy, strlen(demo_policy), "demo.json", &rv, &p);

        ASSERT_STREQ(got, "");
        free(got);
        ASSERT_OK(rv);
        ASSERT_NOT_NULL(p);

        ASSERT_STREQ(srd_policy_name(p), "demo");
        ASSERT_STREQ(srd_policy_file(p), "demo.json");
        ASSERT_EQ(srd_policy_n_rules(p), 7);
        ASSERT_STREQ(srd_policy_rule_name(p, 0), "hosts");
        ASSERT_STREQ(srd_policy_rule_name(p, 6), "force-read-only");
        ASSERT_NULL(srd_policy_rule_name(p, 7));
        srd_policy_redirect_fallback(p, &a, &e);
        ASSERT_EQ(a, SRD_ACTION_ERRNO);
        ASSERT_EQ(e, EPERM);
        ASSERT_EQ(p->default_action, SRD_ACTION_CONTINUE);

        r = &p->rules[0];
        ASSERT_EQ(r->n_syscalls, 3);
        ASSERT_EQ(r->syscalls[1], srd_syscall_resolve("openat"));
        ASSERT_EQ(r->path_kind, SRD_PATH_EXACT);
        ASSERT_STREQ(r->path, "/etc/hosts");
        ASSERT_EQ(r->action, SRD_ACTION_REDIRECT);
        ASSERT_STREQ(r->to, "/sandbox/etc/hosts");
        ASSERT_TRUE(r->to_is_static);
        ASSERT_EQ(r->line, 7);
        ASSERT_EQ(r->column, 5);

        r = &p->rules[1];
        ASSERT_EQ(r->path_kind, SRD_PATH_PREFIX);
        ASSERT_STREQ(r->path, "/etc/secrets/");
        ASSERT_STREQ(r->to, "/sandbox/secrets/{suffix}");
        ASSERT_FALSE(r->to_is_static);

        r = &p->rules[2];
        ASSERT_EQ(r->path_kind, SRD_PATH_GLOB);
        ASSERT_STREQ(r->path, "/tmp/forbidden*");
        ASSERT_EQ(r->action, SRD_ACTION_ERRNO);
        ASSERT_EQ(r->error, EACCES);
        ASSERT_TRUE(r->log);

        r = &p->rules[3];
        ASSERT_EQ(r->n_args, 1);
        ASSERT_EQ(r->args[0].index, 2);
        ASSERT_EQ(r->args[0].op, SRD_CMP_MASKED_EQ);
        ASSERT_EQ(r->args[0].value, 3);
        ASSERT_EQ(r->args[0].value_two, 0);
        ASSERT_EQ(r->action, SRD_ACTION_CONTINUE);
        ASSERT_FALSE(r->log);

        ASSERT_EQ(p->rules[4].error, EROFS);

        r = &p->rules[5];
        ASSERT_EQ(r->path_kind, SRD_PATH_NONE);
        ASSERT_NULL(r->path);
        ASSERT_EQ(r->args[0].op, SRD_CMP_EQ);
        ASSERT_EQ(r->args[0].value, 17);
        ASSERT_EQ(r->error, EAFNOSUPPORT);

        r = &p->rules[6];
        ASSERT_NULL(r->to);
        ASSERT_EQ(r->n_set, 1);
        ASSERT_EQ(r->set[0].index, 2);
        ASSERT_EQ(r->set[0].value, 0);
        ASSERT_EQ(r->set[0].mask, 3);

        /* Union of all rules' syscalls, sorted, each once. */
        ASSERT_OK(srd_policy_syscalls(p, &nrs, &n));
        ASSERT_EQ(n, 8);
        for (size_t i = 1; i < n; i++)
                ASSERT_TRUE(nrs[i - 1] < nrs[i]);
        free(nrs);

        /* Hit counters. */
        ASSERT_EQ(srd_policy_hits(p, 0), 0);
        srd_policy_count_hit(p, 0);
        srd_policy_count_hit(p, 0);
        srd_policy_count_hit(p, -1);
        srd_policy_count_hit(p, 7);
        srd_policy_count_hit(p, -2);
        ASSERT_EQ(srd_policy_hits(p, 0), 2);
        ASSERT_EQ(srd_policy_hits(p, -1), 1);
        ASSERT_EQ(srd_policy_hits(p, 6), 0);
        ASSERT_EQ(srd_policy_hits(p, 7), 0);

        /* References. */
        ASSERT_TRUE(srd_policy_ref(p) == p);
        ASSERT_NULL(srd_policy_unref(p));
        ASSERT_STREQ(srd_policy_name(p), "demo");
        ASSERT_NULL(srd_policy_unref(p));
        ASSERT_NULL(srd_policy_unref(NULL));
        ASSERT_NULL(srd_policy_ref(NULL));
}

TEST(accepted_variants) {
        static const char *const ok[] = {
                /* errno as a number, kill, no rules, fallback with default errno, descriptions */
                "{\"version\": 1, \"name\": \"a.b_c-1\", \"description\": \"x\", \"defaultAction\": "
                "\"errno\", "
                "\"defaultErrno\": 38, \"redirectFallback\": {\"action\": \"errno\"}, \"rules\": []}",
                "{\"version\": 1, \"name\": \"k\", \"defaultAction\": \"kill\", \"redirectFallback\": "
                "{\"action\": "
                "\"continue\"}, \"rules\": [{\"names\": [\"ptrace\"], \"action\": \"kill\", "
                "\"description\": \"no\"}]}",
                /* {path} on any path condition, set without mask, args at the limits */
                "{\"version\": 1, \"name\": \"r\", \"defaultAction\": \"continue\", \"rules\": [{\"names\": "
                "[\"openat\", "
                "\"open\"], \"path\": {\"glob\": \"/data/**\"}, \"action\": \"redirect\", \"to\": "
                "\"{path}.shadow\"}, "
                "{\"names\": [\"mmap\"], \"args\": [{\"index\": 5, \"op\": \"SCMP_CMP_GT\", \"value\": "
                "18446744073709551615}, {\"index\": 0, \"op\": \"SCMP_CMP_LE\", \"value\": 0, \"valueTwo\": "
                "0}], "
                "\"action\": \"redirect\", \"set\": [{\"index\": 2, \"value\": 1}]}]}",
                /* unicode in strings, escapes, rule names defaulting */
                "{\"version\": 1, \"name\": \"u\", \"defaultAction\": \"continue\", \"rules\": [{\"names\": "
                "[\"mkdir\"], "
                "\"path\": {\"exact\": \"/tmp/\\u00e9t\\u00e9//x/.\"}, \"action\": \"errno\", \"errno\": "
                "\"EEXIST\"}]}",
        };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                SrdPolicy *p = NULL;
                int r;
                char *got = load_diags(ok[i], strlen(ok[i]), "ok.json", &r, &p);

                if (r < 0 || got[0]) {
                        printf("# case %zu: r=%d %s\n", i, r, got);
                        test_failed_ = 1;
                }
                if (i == 0 && p) {
                        ASSERT_EQ(p->default_error, ENOSYS);
                        ASSERT_EQ(p->fallback_error, EPERM);
                }
                if (i == 1 && p) {
                        SrdAction a;
                        int e;

                        srd_policy_redirect_fallback(p, &a, &e);
                        ASSERT_EQ(a, SRD_ACTION_CONTINUE);
                        ASSERT_EQ(e, 0);
                        ASSERT_STREQ(srd_policy_rule_name(p, 0), "rules[0]");
                }
                if (i == 2 && p) {
                        ASSERT_EQ(p->rules[1].args[0].value, UINT64_MAX);
                        ASSERT_EQ(p->rules[1].set[0].mask, UINT64_MAX);
                        ASSERT_STREQ(p->rules[0].to, "{path}.shadow");
                }
                if (i == 3 && p)
                        ASSERT_STREQ(p->rules[0].path, "/tmp/\xc3\xa9t\xc3\xa9/x");
                srd_policy_unref(p);
                free(got);
        }
}

TEST(foreign_syscalls_skipped) {
        /* socketcall exists on i386 but not x86_64: a portable policy may name it. */
        static const char text[] =
                "{\"version\": 1, \"name\": \"p\", \"defaultAction\": \"continue\", \"rules\": "
                "[{\"names\": [\"socketcall\", \"socket\"], \"action\": \"errno\", \"errno\": "
                "\"EPERM\"}, {\"names\": [\"socketcall\"], \"action\": \"kill\"}]}";
        SrdPolicy *p = NULL;
        int *nrs = NULL;
        size_t n;
        int r;
        char *got;

        if (seccomp_syscall_resolve_name("socketcall") >= 0)
                SKIP("socketcall is native here");
        got = load_diags(text, strlen(text), "p.json", &r, &p);
        ASSERT_STREQ(got, "");
        free(got);
        ASSERT_OK(r);
        ASSERT_EQ(p->rules[0].n_syscalls, 1);
        ASSERT_EQ(p->rules[0].syscalls[0], srd_syscall_resolve("socket"));
        ASSERT_EQ(p->rules[1].n_syscalls, 0);
        ASSERT_OK(srd_policy_syscalls(p, &nrs, &n));
        ASSERT_EQ(n, 1);
        free(nrs);
        srd_policy_unref(p);
}

TEST(error_cap) {
        /* 200 bad rules: the first 50 errors, then one note, and still fast. */
        size_t len = 0;
        char *buf = malloc(200 * 64 + 256);
        SrdDiagList d = {};
        SrdPolicy *p = NULL;

        ASSERT_NOT_NULL(buf);
        len += (size_t) sprintf(
                buf, "{\"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [");
        for (int i = 0; i < 200; i++)
                len += (size_t) sprintf(buf + len,
                                        "%s\n{\"names\": [\"nosuch%d\"], \"action\": \"continue\"}",
                                        i ? "," : "", i);
        len += (size_t) sprintf(buf + len, "]}");
        ASSERT_ERROR(srd_policy_load_buffer(buf, len, "cap.json", &p, &d), EINVAL);
        ASSERT_NULL(p);
        ASSERT_EQ(d.n, 51);
        ASSERT_EQ(d.items[0].line, 2);
        ASSERT_STREQ(d.items[0].where, "rules[0].names[0]");
        ASSERT_EQ(d.items[49].line, 51);
        ASSERT_STREQ(d.items[50].message, "too many errors, not showing the rest");
        srd_diag_list_clear(&d);

        /* Without a diagnostics list the result is the same. */
        ASSERT_ERROR(srd_policy_load_buffer(buf, len, "cap.json", &p, NULL), EINVAL);
        free(buf);
}

TEST(many_rules_fast) {
        /* 10,000 named rules mixing all path kinds: linear-time checks keep this well under a second. */
        size_t n = 10000, len = 0;
        char *buf = malloc(n * 200 + 256);
        SrdPolicy *p = NULL;
        SrdDiagList d = {};
        struct timespec t0, t1;
        double ms;
        int r;

        ASSERT_NOT_NULL(buf);
        len += (size_t) sprintf(
                buf, "{\"version\": 1, \"name\": \"big\", \"defaultAction\": \"continue\", \"rules\": [");
        for (size_t i = 0; i < n; i++) {
                static const char *const kinds[] = {"exact", "prefix", "glob"};
                len += (size_t) sprintf(
                        buf + len,
                        "%s\n{\"name\": \"r%zu\", \"names\": [\"openat\", \"statx\"], \"path\": "
                        "{\"%s\": \"/srv/d%zu/%s\"}, \"action\": \"errno\", \"errno\": \"EACCES\"}",
                        i ? "," : "", i, kinds[i % 3], i, i % 3 == 1 ? "" : "f*");
        }
        len += (size_t) sprintf(buf + len, "]}");

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = srd_policy_load_buffer(buf, len, "big.json", &p, &d);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("# 10000 rules loaded in %.1f ms\n", ms);
        if (d.n > 0)
                printf("# %s\n", d.items[0].message);
        ASSERT_OK(r);
        ASSERT_EQ(srd_policy_n_rules(p), n);
        ASSERT_STREQ(srd_policy_rule_name(p, 9999), "r9999");
        ASSERT_TRUE(ms < 2000);
        srd_policy_unref(p);
        srd_diag_list_clear(&d);

        /* The same with one duplicate name at the very end: found without comparing all pairs. */
        memcpy(strstr(buf + len - 200, "\"r9999\""), "\"r1234\"", 7);
        ASSERT_ERROR(srd_policy_load_buffer(buf, len, "big.json", &p, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        ASSERT_EQ(d.items[0].line, 10001);
        ASSERT_STREQ(d.items[0].message,
                     "duplicate rule name \"r1234\" (already used by rules[1234] at 1236:1)");
        srd_diag_list_clear(&d);
        free(buf);
}

TEST(load_file) {
        char dir[] = "/tmp/test-policy-XXXXXX", path[64];
        SrdPolicy *p = NULL;
        SrdDiagList d = {};
        int fd;

        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/demo.json", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, demo_policy, strlen(demo_policy)), (ssize_t) strlen(demo_policy));
        close(fd);

        ASSERT_OK(srd_policy_load_file(path, &p, &d));
        ASSERT_EQ(d.n, 0);
        ASSERT_STREQ(srd_policy_file(p), path);
        srd_policy_unref(p);
        p = NULL;

        ASSERT_ERROR(srd_policy_load_file(dir, &p, &d), EISDIR);
        ASSERT_EQ(d.n, 1);
        ASSERT_STREQ(d.items[0].message, "cannot read policy: Is a directory");
        srd_diag_list_clear(&d);

        ASSERT_ERROR(srd_policy_load_file("/dev/null", &p, &d), EINVAL);
        ASSERT_STREQ(d.items[0].message, "not a regular file");
        srd_diag_list_clear(&d);

        snprintf(path, sizeof path, "%s/fifo.json", dir);
        ASSERT_OK(mkfifo(path, 0600));
        ASSERT_ERROR(srd_policy_load_file(path, &p, &d), EINVAL);
        srd_diag_list_clear(&d);
        unlink(path);

        snprintf(path, sizeof path, "%s/missing.json", dir);
        ASSERT_ERROR(srd_policy_load_file(path, &p, &d), ENOENT);
        srd_diag_list_clear(&d);

        /* Larger than the limit: refused before reading. */
        snprintf(path, sizeof path, "%s/big.json", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(ftruncate(fd, 17 << 20));
        close(fd);
        ASSERT_ERROR(srd_policy_load_file(path, &p, &d), EFBIG);
        ASSERT_STREQ(d.items[0].message, "file too large (17825792 bytes, at most 16777216)");
        srd_diag_list_clear(&d);
        unlink(path);

        snprintf(path, sizeof path, "%s/demo.json", dir);
        unlink(path);
        rmdir(dir);
        ASSERT_NULL(p);
        ASSERT_ERROR(srd_policy_load_file(NULL, &p, NULL), EINVAL);
}

/*
 * A rule on openat2's "flags" compares open_how.flags, which the listener
 * reads from the task. When it could not (how_read false), no rule may be
 * guessed at: the call gets pathError, never the default "continue".
 */
TEST(open_how_unread) {
        static const char text[] =
                "{\"version\": 1, \"name\": \"h\", \"defaultAction\": \"continue\", \"rules\": ["
                "{\"name\": \"no-writes\", \"names\": [\"openat\", \"openat2\"], \"args\": [{\"arg\": "
                "\"flags\", \"op\": \"SCMP_CMP_MASKED_EQ\", \"value\": 3, \"valueTwo\": 1}], \"action\": "
                "\"errno\", \"errno\": \"EROFS\"}]}";
        int openat2_nr = srd_syscall_resolve("openat2"), openat_nr = srd_syscall_resolve("openat");
        SrdSyscall sc = {.nr = openat2_nr};
        SrdVerdict v;
        SrdPolicy *p = NULL;

        ASSERT_OK(srd_policy_load_buffer(text, strlen(text), "h.json", &p, NULL));
        /* The listener answers an unreadable open_how with pathError when a rule needs it. */
        ASSERT_TRUE(srd_policy_has_path_rule(p, openat2_nr));
        ASSERT_FALSE(srd_policy_has_path_rule(p, openat_nr));

        ASSERT_OK(srd_policy_evaluate(p, &sc, &v));
        ASSERT_EQ(v.rule, SRD_RULE_PATH_ERROR);
        ASSERT_EQ(v.action, SRD_ACTION_ERRNO);
        ASSERT_EQ(v.error, EACCES);

        /* Read: the rule decides on open_how.flags, not on a register. */
        sc.how_read = true;
        sc.how[0] = O_WRONLY;
        sc.args[2] = O_RDONLY;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &v));
        ASSERT_EQ(v.rule, 0);
        ASSERT_EQ(v.error, EROFS);
        sc.how[0] = O_RDONLY;
        sc.args[2] = O_WRONLY;
        ASSERT_OK(srd_policy_evaluate(p, &sc, &v));
        ASSERT_EQ(v.rule, SRD_RULE_DEFAULT);

        /* openat has its flags in a register, and nothing to read. */
        sc = (SrdSyscall){.nr = openat_nr, .args = {0, 0, O_WRONLY}};
        ASSERT_OK(srd_policy_evaluate(p, &sc, &v));
        ASSERT_EQ(v.rule, 0);
        srd_policy_unref(p);
}

/* Warnings: exact text, and the near misses that must not warn. */
TEST(warnings) {
        static const char text[] =
                "{\"version\": 1, \"name\": \"w\", \"defaultAction\": \"continue\", \"rules\": [\n"
                "{\"name\": \"a\", \"names\": [\"openat\", \"open\"], \"path\": {\"prefix\": \"/etc/\"}, "
                "\"args\": [{\"arg\": \"flags\", \"op\": \"SCMP_CMP_EQ\", \"value\": 0}], \"action\": \"continue\"},\n"
                /* 2: more conditions than a: shadowed */
                "{\"name\": \"b\", \"names\": [\"openat\"], \"path\": {\"glob\": \"/etc/x*\"}, \"args\": [{\"arg\": "
                "\"flags\", \"op\": \"SCMP_CMP_EQ\", \"value\": 0}, {\"arg\": \"mode\", \"op\": \"SCMP_CMP_EQ\", "
                "\"value\": 1}], \"action\": \"errno\", \"errno\": \"EPERM\"},\n"
                /* 3: a syscall a does not name: not shadowed */
                "{\"name\": \"c\", \"names\": [\"openat\", \"creat\"], \"path\": {\"prefix\": \"/etc/y/\"}, "
                "\"action\": \"continue\"},\n"
                /* 4: a has a condition this one lacks: not shadowed */
                "{\"name\": \"d\", \"names\": [\"openat\"], \"path\": {\"exact\": \"/etc/z\"}, \"action\": "
                "\"continue\"},\n"
                /* 5: a glob before an exact path it matches */
                "{\"name\": \"e\", \"names\": [\"mkdir\"], \"path\": {\"glob\": \"/tmp/*.d\"}, \"action\": "
                "\"continue\"},\n"
                "{\"name\": \"f\", \"names\": [\"mkdir\"], \"path\": {\"exact\": \"/tmp/x.d\"}, \"action\": "
                "\"continue\"},\n"
                /* 7: the same prefix is not a longer one */
                "{\"name\": \"g\", \"names\": [\"mkdir\"], \"path\": {\"prefix\": \"/tm\"}, \"action\": \"continue\"},\n"
                "{\"name\": \"h\", \"names\": [\"mkdir\"], \"path\": {\"glob\": \"/tmp/a/\"}, \"action\": \"continue\"},\n"
                /* 9: a's role is b's index on openat */
                "{\"name\": \"i\", \"names\": [\"openat\"], \"path\": {\"prefix\": \"/etc/q/\"}, \"args\": "
                "[{\"index\": 2, \"op\": \"SCMP_CMP_EQ\", \"value\": 0}], \"action\": \"kill\"}\n"
                "]}\n";
        SrdPolicy *p = NULL;
        const SrdDiagList *w;
        _cleanup_free_ char *all = NULL;
        size_t len = 0;
        FILE *f;

        ASSERT_OK(srd_policy_load_buffer(text, strlen(text), "w.json", &p, NULL));
        w = srd_policy_warnings(p);
        f = open_memstream(&all, &len);
        ASSERT_NOT_NULL(f);
        for (size_t i = 0; i < w->n; i++) {
                _cleanup_free_ char *line = srd_diag_format(&w->items[i]);

                fprintf(f, "%s\n", line);
        }
        fclose(f);
        ASSERT_STREQ(all,
                     "w.json:3:1: rules[1]: warning: rule \"b\" never decides: rule \"a\" (rules[0] at 2:1) comes "
                     "first and matches every call it matches\n"
                     "w.json:7:1: rules[5]: warning: rule \"f\" never decides: rule \"e\" (rules[4] at 6:1) comes "
                     "first and matches every call it matches\n"
                     "w.json:9:1: rules[7]: warning: rule \"h\" never decides: rule \"g\" (rules[6] at 8:1) comes "
                     "first and matches every call it matches\n"
                     "w.json:9:52: rules[7].path.glob: warning: glob \"/tmp/a/\" can never match: paths are matched "
                     "normalized, without \"//\", \"/./\", \"/../\" or a trailing \"/\" (did you mean \"/tmp/a\"?)\n"
                     "w.json:10:1: rules[8]: warning: rule \"i\" never decides: rule \"a\" (rules[0] at 2:1) comes "
                     "first and matches every call it matches\n");
        srd_policy_unref(p);
}

/* All the warnings of a policy, a line each. */
static char *warnings_of(const char *text) {
        SrdPolicy *p = NULL;
        const SrdDiagList *w;
        char *all = NULL;
        size_t len = 0;
        FILE *f;

        if (srd_policy_load_buffer(text, strlen(text), "u.json", &p, NULL) < 0)
                return NULL;
        w = srd_policy_warnings(p);
        f = open_memstream(&all, &len);
        if (!f) {
                srd_policy_unref(p);
                return NULL;
        }
        for (size_t i = 0; i < w->n; i++) {
                _cleanup_free_ char *line = srd_diag_format(&w->items[i]);

                fprintf(f, "%s\n", line);
        }
        fclose(f);
        srd_policy_unref(p);
        return all;
}

/* io_uring and open_by_handle_at let continue beside path rules: what they reach passes none. */
TEST(warnings_pathless_continue) {
        static const char with_paths[] =
                "{\"version\": 1, \"name\": \"u\", \"defaultAction\": \"continue\", \"rules\": [\n"
                "{\"name\": \"secret\", \"names\": [\"openat\"], \"path\": {\"exact\": \"/s\"}, \"action\": "
                "\"errno\", \"errno\": \"EACCES\"},\n"
                "{\"name\": \"rings\", \"names\": [\"io_uring_setup\", \"io_uring_enter\"], \"action\": "
                "\"continue\"},\n"
                "{\"name\": \"no-register\", \"names\": [\"io_uring_register\"], \"action\": \"errno\", "
                "\"errno\": \"ENOSYS\"},\n"
                "{\"name\": \"handles\", \"names\": [\"open_by_handle_at\", \"read\"], \"action\": \"continue\"}\n"
                "]}\n";
        static const char without_paths[] =
                "{\"version\": 1, \"name\": \"u\", \"defaultAction\": \"continue\", \"rules\": [\n"
                "{\"name\": \"rings\", \"names\": [\"io_uring_setup\"], \"action\": \"continue\"}\n"
                "]}\n";
        _cleanup_free_ char *a = warnings_of(with_paths), *b = warnings_of(without_paths);

        ASSERT_STREQ(a,
                     "u.json:3:1: rules[1]: warning: rule \"rings\" lets io_uring_setup continue: a ring's opens, "
                     "stats, renames and unlinks pass none of this policy's path rules, such as \"secret\" "
                     "(rules[0] at 2:1)\n"
                     "u.json:5:1: rules[3]: warning: rule \"handles\" lets open_by_handle_at continue: the files "
                     "it opens by handle pass none of this policy's path rules, such as \"secret\" (rules[0] at "
                     "2:1)\n");
        /* No path rule: nothing they could get past. */
        ASSERT_STREQ(b, "");
}

/* n rules with one key, loaded: this thread's CPU time in ms (not the wall
 * clock, which a loaded machine stretches). */
static double one_key_load_ms(size_t n) {
        size_t len = 0;
        _cleanup_free_ char *buf = malloc(n * 160 + 256);
        SrdPolicy *p = NULL;
        struct timespec t0, t1;
        double ms;

        if (!buf)
                return -1;
        len += (size_t) sprintf(buf, "{\"version\": 1, \"name\": \"k\", \"defaultAction\": \"continue\", \"rules\": [");
        for (size_t i = 0; i < n; i++)
                len += (size_t) sprintf(buf + len,
                                        "%s{\"names\": [\"openat\"], \"path\": {\"prefix\": \"/a/\"}, \"args\": "
                                        "[{\"arg\": \"mode\", \"op\": \"SCMP_CMP_EQ\", \"value\": %zu}], "
                                        "\"action\": \"continue\"}",
                                        i ? "," : "", i);
        len += (size_t) sprintf(buf + len, "]}");
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
        if (srd_policy_load_buffer(buf, len, "k.json", &p, NULL) < 0)
                return -1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
        ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (srd_policy_warnings(p)->n != 0)
                ms = -1;
        srd_policy_unref(p);
        return ms;
}

/*
 * The shadow check on rules with one key is bounded, not quadratic (10,000
 * rules took 1.6 s before the bound): four times the rules cost about four
 * times as much, where a quadratic check costs sixteen. The best of three
 * of each, so that one descheduled run does not decide.
 */
TEST(warnings_one_key_fast) {
        double small = 1e9, large = 1e9;

        for (int i = 0; i < 3; i++) {
                double a = one_key_load_ms(2500), b = one_key_load_ms(10000);

                ASSERT_TRUE(a >= 0 && b >= 0);
                small = a < small ? a : small;
                large = b < large ? b : large;
        }
        printf("# one key: 2,500 rules %.1f ms, 10,000 rules %.1f ms of CPU: %.1fx\n", small, large,
               large / small);
        ASSERT_TRUE(large / small < 9.0);
}

TEST(load_buffer_edges) {
        SrdPolicy *p = NULL;
        SrdDiagList d = {};

        ASSERT_ERROR(srd_policy_load_buffer(NULL, 0, "e.json", &p, &d), EINVAL);
        ASSERT_STREQ(d.items[0].message, "empty document, expected a JSON value");
        srd_diag_list_clear(&d);
        ASSERT_ERROR(srd_policy_load_buffer("{}", 2, "e.json", NULL, NULL), EINVAL);
        ASSERT_ERROR(srd_policy_load_buffer(NULL, 5, "e.json", &p, NULL), EINVAL);
        /* A NUL inside the buffer is an error at its position, not the end of the input. */
        ASSERT_ERROR(srd_policy_load_buffer("{}\0{}", 5, NULL, &p, &d), EINVAL);
        ASSERT_NULL(d.items[0].file);
        ASSERT_EQ(d.items[0].column, 3);
        srd_diag_list_clear(&d);
        ASSERT_NULL(p);
}

TESTS_MAIN
