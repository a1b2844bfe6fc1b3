# The ristretto CLI in a container, for trials run by Kubernetes Indexed Jobs or Slurm with containers (docs/scale-out.md).
# Not built by this project's CI (no container engine there). From the repository root:
#   docker build -t registry/ristretto:1 .                      # CPU (TorchSharp-cpu's libtorch)
#   docker build -t registry/ristretto:1-cuda --target cuda .   # GPU: PyTorch's CUDA libtorch, pointed to by TORCH_LIB_DIR
# The NVIDIA driver comes from the node (NVIDIA container toolkit / device plugin).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Ristretto.Cli -c Release -o /out

FROM mcr.microsoft.com/dotnet/runtime:10.0 AS cpu
# OpenCV's native library (image decoding) needs GTK 3; LMDB for Caffe databases (what build/install.sh installs).
RUN apt-get update && apt-get install -y --no-install-recommends libgtk-3-0 liblmdb0 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out /opt/ristretto
RUN printf '#!/bin/sh\nexec dotnet /opt/ristretto/Ristretto.Cli.dll "$@"\n' > /usr/local/bin/ristretto && chmod +x /usr/local/bin/ristretto
# Plain progress lines in pod and job logs; point RISTRETTO_CACHE at the shared volume to share MNIST and the default LeNet.
ENV CI=true
ENTRYPOINT ["ristretto"]

FROM cpu AS cuda
# TorchSharp 0.107 is built against libtorch 2.10: the CUDA build of the same PyTorch release.
RUN apt-get update && apt-get install -y --no-install-recommends python3-venv && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/torch && /opt/torch/bin/pip install --no-cache-dir "torch==2.10.*" \
 && ln -s "$(/opt/torch/bin/python -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" /opt/libtorch
ENV TORCH_LIB_DIR=/opt/libtorch

FROM cpu
