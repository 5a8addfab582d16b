// gpu-check's probe (scripts/gpu-check.sh): a matmul rate and a device allocation, run as an MPS
// client or on the whole GPU. No libraries beyond the CUDA runtime, so it builds offline with nvcc.
//
//   mps-probe rate SECONDS   multiply 1024x1024 float matrices for SECONDS; prints "rate GFLOPS"
//   mps-probe alloc MIB      cudaMalloc MIB and touch it; prints "alloc ok" (exit 0) or
//                            "alloc failed: ERROR" (exit 1)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cuda_runtime.h>

#define TILE 16

__global__ void matmul(const float* a, const float* b, float* c, int n) {
  __shared__ float ta[TILE][TILE];
  __shared__ float tb[TILE][TILE];
  int row = blockIdx.y * TILE + threadIdx.y;
  int col = blockIdx.x * TILE + threadIdx.x;
  float sum = 0.0f;
  for (int t = 0; t < n / TILE; t++) {
    ta[threadIdx.y][threadIdx.x] = a[row * n + t * TILE + threadIdx.x];
    tb[threadIdx.y][threadIdx.x] = b[(t * TILE + threadIdx.y) * n + col];
    __syncthreads();
    for (int k = 0; k < TILE; k++) sum += ta[threadIdx.y][k] * tb[k][threadIdx.x];
    __syncthreads();
  }
  c[row * n + col] = sum;
}

static int fail(const char* what, cudaError_t err) {
  printf("%s failed: %s\n", what, cudaGetErrorString(err));
  return 1;
}

static int rate(double seconds) {
  const int n = 1024;
  size_t bytes = (size_t)n * n * sizeof(float);
  float *a, *b, *c;
  cudaError_t err;
  if ((err = cudaMalloc(&a, bytes)) != cudaSuccess) return fail("rate", err);
  if ((err = cudaMalloc(&b, bytes)) != cudaSuccess) return fail("rate", err);
  if ((err = cudaMalloc(&c, bytes)) != cudaSuccess) return fail("rate", err);
  cudaMemset(a, 0, bytes);
  cudaMemset(b, 0, bytes);
  dim3 block(TILE, TILE), grid(n / TILE, n / TILE);
  matmul<<<grid, block>>>(a, b, c, n);  // warm-up
  if ((err = cudaDeviceSynchronize()) != cudaSuccess) return fail("rate", err);
  long runs = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 10; i++) matmul<<<grid, block>>>(a, b, c, n);
    if ((err = cudaDeviceSynchronize()) != cudaSuccess) return fail("rate", err);
    runs += 10;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  printf("rate %.1f\n", 2.0 * n * n * (double)n * runs / elapsed / 1e9);
  return 0;
}

static int alloc(size_t mib) {
  void* p;
  cudaError_t err = cudaMalloc(&p, mib << 20);
  if (err != cudaSuccess) return fail("alloc", err);
  if ((err = cudaMemset(p, 1, mib << 20)) != cudaSuccess) return fail("alloc", err);
  if ((err = cudaDeviceSynchronize()) != cudaSuccess) return fail("alloc", err);
  printf("alloc ok\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "rate") == 0) return rate(atof(argv[2]));
  if (argc == 3 && strcmp(argv[1], "alloc") == 0) return alloc((size_t)atol(argv[2]));
  fprintf(stderr, "usage: mps-probe rate SECONDS | mps-probe alloc MIB\n");
  return 2;
}
