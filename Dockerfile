# syntax=docker/dockerfile:1
# idswap: a static binary in a distroless image, running as a non-root user.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The views' generated code is committed, so the build needs no generator.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/idswap ./cmd/idswap \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/idswap /usr/local/bin/idswap
# A writable folder for demo mode and the mail outbox; mount a volume here to keep it.
COPY --from=build --chown=nonroot:nonroot /out/data /data
VOLUME /data
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/idswap"]
# Production: set IDSWAP_DB, IDSWAP_SECRET_KEY and IDSWAP_SESSION_KEY, and run `idswap migrate`
# once per release. For a look around: docker run -p 8080:8080 IMAGE serve --demo --data /data --addr 0.0.0.0:8080
CMD ["serve", "--data", "/data", "--addr", "0.0.0.0:8080"]
