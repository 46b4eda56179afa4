/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays a fuzzer's stored corpus as an ordinary test: every file under the
 * directories (or the files) given on the command line goes through
 * LLVMFuzzerTestOneInput once. A crash or sanitizer report fails the test.
 * With -Dfuzzing=true the same fuzz targets link against libFuzzer instead.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned *n) {
        FILE *f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %m\n", path);
                return -1;
        }
        size_t cap = 4096, len = 0;
        uint8_t *buf = malloc(cap);
        if (!buf) {
                fclose(f);
                return -1;
        }
        for (;;) {
                if (len == cap) {
                        uint8_t *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = nb;
                        cap *= 2;
                }
                size_t k = fread(buf + len, 1, cap - len, f);
                if (k == 0)
                        break;
                len += k;
        }
        fclose(f);
        /* Copy into an exact-size allocation so ASan sees overreads. */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
                free(buf);
                return -1;
        }
        memcpy(exact, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        (*n)++;
        return 0;
}

static int run_path(const char *path, unsigned *n) {
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return run_file(path, n);

        struct dirent **names;
        int k = scandir(path, &names, NULL, alphasort);
        if (k < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -1;
        }
        int r = 0;
        for (int i = 0; i < k; i++) {
                if (names[i]->d_name[0] != '.') {
                        char child[4096];
                        snprintf(child, sizeof child, "%s/%s", path, names[i]->d_name);
                        if (run_path(child, n) < 0)
                                r = -1;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;
        int r = 0;
        for (int i = 1; i < argc; i++)
                if (run_path(argv[i], &n) < 0)
                        r = 1;
        printf("1..1\n%s 1 - replayed %u inputs\n", r == 0 && n > 0 ? "ok" : "not ok", n);
        return r == 0 && n > 0 ? 0 : 1;
}
