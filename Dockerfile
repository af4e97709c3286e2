# syntax=docker/dockerfile:1
# zonekeeper image: a static binary on distroless, running as uid/gid 65532
# (the chart's default), with nothing else in the image to exploit: no shell,
# no package manager. Build with `make image` or:
#   docker build --build-arg VERSION=$(git describe --tags --always) -t zonekeeper .

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first: a source change reuses the downloaded modules' layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/zonekeeper ./cmd/zonekeeper

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/zonekeeper /zonekeeper
USER 65532:65532
EXPOSE 7979
ENTRYPOINT ["/zonekeeper"]
CMD ["run"]
