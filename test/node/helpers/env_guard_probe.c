/* The guard's positive control (env_threads.test.js): a library whose name
 * holds "keyref" and which, once loaded, calls getenv() on a thread of its
 * own, as the addon's workers did. The thread waits until the load is over
 * (the guard's dladdr() takes the loader's lock, which dlopen() holds). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void* probe(void* arg) {
  (void)arg;
  usleep(100 * 1000);
  return getenv("KEYREF_GUARD_PROBE");
}

__attribute__((constructor)) static void start(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, probe, NULL) == 0) pthread_detach(t);
}
