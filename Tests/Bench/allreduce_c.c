/* allreduce_c.c — the baseline for the Swift MPI wrapper's overhead: plain C MPI_Allreduce,
 * in place, SUM over a buffer of floats (16 MiB by default). Same procedure as the Swift core
 * (Sources/infomax/BenchAllreduce.swift): 5 warm-up calls, then per repetition a barrier and
 * one timed MPI_Allreduce; each repetition's time is the maximum over ranks; rank 0 prints
 * the median and mean in milliseconds.
 *
 * Build: mpicc -O2 -o allreduce_c allreduce_c.c
 * Run:   mpirun -np 2 ./allreduce_c [megabytes=16] [repetitions=50]
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WARMUP 5

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    int megabytes = argc > 1 ? atoi(argv[1]) : 16;
    int repetitions = argc > 2 ? atoi(argv[2]) : 50;
    if (megabytes <= 0 || repetitions <= 0) {
        if (rank == 0) fprintf(stderr, "usage: allreduce_c [megabytes>0] [repetitions>0]\n");
        MPI_Finalize();
        return 2;
    }
    size_t count = (size_t)megabytes * 1024 * 1024 / sizeof(float);
    float *data = malloc(count * sizeof(float));
    double *times = malloc((size_t)repetitions * sizeof(double));
    if (!data || !times) {
        fprintf(stderr, "allreduce_c: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(data, 0, count * sizeof(float));

    for (int w = 0; w < WARMUP; w++)
        MPI_Allreduce(MPI_IN_PLACE, data, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    for (int r = 0; r < repetitions; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, data, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        times[r] = MPI_Wtime() - t0;
    }
    MPI_Allreduce(MPI_IN_PLACE, times, repetitions, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);

    if (rank == 0) {
        double sum = 0;
        for (int r = 0; r < repetitions; r++) sum += times[r];
        qsort(times, (size_t)repetitions, sizeof(double), compare_doubles);
        double median = repetitions % 2 ? times[repetitions / 2]
                                        : 0.5 * (times[repetitions / 2 - 1] + times[repetitions / 2]);
        printf("c allreduce np=%d %d MiB x %d: median %.3f ms mean %.3f ms\n",
               size, megabytes, repetitions, median * 1e3, sum / repetitions * 1e3);
    }
    free(times);
    free(data);
    MPI_Finalize();
    return 0;
}
