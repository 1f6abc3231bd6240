{
  "targets": [
    {
      "target_name": "loopwright_mpi",
      "sources": ["src/mpi.c"],
      "cflags": ["<!@(mpicc --showme:compile)"],
      "libraries": ["<!@(mpicc --showme:link)"]
    }
  ]
}
