#!/usr/bin/env bash
# GPU run kit: assembles into DIR what a CUDA host without Java or Maven needs to run the engine
# and the editor worker on its GPU (docs/ARCHITECTURE.md, "GPU run kit"):
#   DIR/jre        a jlink runtime (no font manager: plots use the built-in bitmap font);
#                  with --pack as DIR/jre.tar.xz instead (17 MB instead of 45), unpacked by run
#   DIR/lib        runtime jars of edit-engine + editor-worker, WITHOUT pytorch-native-cpu and
#                  pytorch-jni (the host's CUDA libtorch and the JNI built for it replace them)
#   DIR/jni        the DJL JNI built against the host's libtorch (HOOKLINE_JNI, default
#                  ../shared/gpu/libdjl_torch_cu130_2.11.0.so)
#   DIR/test       with --tests: engine test classes + JUnit, for DevicePiecesTest on the GPU
#   DIR/run        the start script: `DIR/run hookline|worker|tests ARGS...`
# Usage: gpu/kit.sh DIR [--tests] [--pack]   (builds with Maven here; never installs into ~/.m2)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KIT="${1:?usage: gpu/kit.sh DIR [--tests]}"
TESTS=""; PACK=""
for a in "${@:2}"; do
  case "$a" in --tests) TESTS=--tests ;; --pack) PACK=1 ;; *) echo "kit: unknown option $a" >&2; exit 2 ;; esac
done
MVN="${MVN:-mvn}"
JNI="${HOOKLINE_JNI:-$ROOT/../shared/gpu/libdjl_torch_cu130_2.11.0.so}"
[[ -f "$JNI" ]] || JNI=/work/shared/gpu/libdjl_torch_cu130_2.11.0.so
[[ -f "$JNI" ]] || { echo "kit: DJL JNI not found; set HOOKLINE_JNI" >&2; exit 2; }
mkdir -p "$KIT"
KIT="$(cd "$KIT" && pwd)"
rm -rf "$KIT/lib" "$KIT/jni" "$KIT/test"
mkdir -p "$KIT/lib" "$KIT/jni"

cd "$ROOT"
EXCLUDE=pytorch-native-cpu,pytorch-jni
# Each module's runtime dependencies land in its own target/kit-lib; only the four modules the
# kit runs are copied (-am also builds testkit, a test dependency of the worker, whose runtime
# dependencies, embedded Postgres and Quarkus, do not belong in the kit).
"$MVN" -B -q -o -pl editor-worker -am -DskipTests package dependency:copy-dependencies \
    -DincludeScope=runtime -DexcludeArtifactIds=$EXCLUDE -Dmdep.outputDirectory=target/kit-lib -DoutputDirectory=target/kit-lib
for m in fact-world edit-engine registry-client editor-worker; do
  cp "$m"/target/kit-lib/*.jar "$KIT/lib/" 2>/dev/null || true
  cp "$m"/target/*.jar "$KIT/lib/"
done
rm -f "$KIT"/lib/*-sources.jar "$KIT"/lib/*-tests.jar
# The tokenizers jar carries its native library for four platforms (19 MB): keep linux-x86_64.
for t in "$KIT"/lib/tokenizers-*.jar; do
  zip -q -d "$t" 'native/lib/linux-aarch64/*' 'native/lib/osx-*' 'native/lib/win-*' || true
done
if [[ "$TESTS" == --tests ]]; then
  mkdir -p "$KIT/test/lib"
  "$MVN" -B -q -o -pl edit-engine -am -DskipTests package dependency:copy-dependencies \
      -DincludeScope=test -DexcludeArtifactIds=$EXCLUDE -DoutputDirectory=target/kit-test-lib
  for j in edit-engine/target/kit-test-lib/*.jar; do # only what lib/ lacks
    [[ -f "$KIT/lib/$(basename "$j")" ]] || cp "$j" "$KIT/test/lib/"
  done
  cp -r edit-engine/target/test-classes "$KIT/test/classes"
fi
cp "$JNI" "$KIT/jni/$(basename "$JNI")"

if [[ ! -x "$KIT/jre/bin/java" && ! -f "$KIT/jre.tar.xz" ]]; then
  jlink --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,java.naming,java.xml,java.net.http,java.desktop \
      --strip-debug --no-man-pages --no-header-files --compress="$([[ -n "$PACK" ]] && echo 0 || echo 2)" --output "$KIT/jre"
  # packed: the modules file uncompressed, so that xz sees the classes themselves (17 MB packed
  # instead of 28 MB with jlink's own zip compression, which leaves room in a 64 MiB call for a model)
  # Nothing may need AWT's font manager (it needs libharfbuzz, missing on GPU hosts): without the
  # library a font use fails at once instead of on the first GPU host.
  rm -f "$KIT"/jre/lib/libfontmanager.so "$KIT"/jre/lib/libjavajpeg.so "$KIT"/jre/lib/libsplashscreen.so \
      "$KIT"/jre/lib/libjsound.so "$KIT"/jre/lib/libawt_xawt.so
  strip --strip-unneeded "$KIT"/jre/lib/server/libjvm.so 2>/dev/null || true
fi
if [[ -n "$PACK" && -d "$KIT/jre" ]]; then
  (cd "$KIT" && tar cf - jre | xz -T0 -6 > jre.tar.xz && rm -rf jre)
fi
rm -rf "$KIT/test/classes/hf-gpt2-micro" # fixtures of other tests (7 MB)
cp "$ROOT/gpu/run" "$ROOT/gpu/figures.sh" "$KIT/"
chmod +x "$KIT/run"
du -sh "$KIT"/* >&2
