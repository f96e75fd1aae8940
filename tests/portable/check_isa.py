#!/usr/bin/env python3
"""Checks that built binaries run on any x86-64 CPU.

Disassembles each ELF file given (objdump -d) and lists every instruction
beyond the baseline x86-64 ISA (SSE2) -- AVX/AVX2/AVX-512 (ymm/zmm/mask
registers, VEX/EVEX mnemonics), FMA, F16C, SSE3..SSE4.2, POPCNT, LZCNT,
BMI1/2, MOVBE, ADX, AES, PCLMUL, SHA, RDRAND ... -- found in a function that
is not one of the run-time dispatched kernels: functions in a namespace
named `avx2` or `avx512`, and the AVX2 / AVX-512 clones of functions marked
HW_TARGET_CLONES (see matcher/internal/isa.h). Only the dispatchers decide
when those run, after asking the CPU.

Exit status: 0 clean, 1 offenders listed, 2 usage or tool errors.

  check_isa.py --objdump objdump BINARY...
  check_isa.py --self-test --cxx g++ --sample tests/portable/isa_sample.cc
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

# Functions allowed to use instructions beyond the baseline: the dispatched
# kernels, by namespace; the AVX2 and AVX-512 clones GCC makes of a function
# marked HW_TARGET_CLONES (target_clones; an ifunc resolver picks one); and
# libgcc's CPU detection behind __builtin_cpu_supports (it runs XGETBV only
# after CPUID says the OS supports it).
ALLOWED_FUNCTIONS = re.compile(
    r"(^|::)(avx2|avx512)::"
    r"|\[clone \.(avx2|avx512f)\]"
    r"|^(__cpu_indicator_init|get_available_features|__get_cpuid_max)\b"
    r"|^__cpu_indicator_init\.")

# Mnemonics (AT&T, as objdump prints them) beyond baseline x86-64.
BEYOND_BASELINE = set("""
    addsubpd addsubps haddpd haddps hsubpd hsubps lddqu movddup movshdup
    movsldup monitor mwait fisttp
    pabsb pabsw pabsd palignr phaddw phaddd phaddsw phsubw phsubd phsubsw
    pmaddubsw pmulhrsw pshufb psignb psignw psignd
    blendpd blendps blendvpd blendvps dppd dpps extractps insertps movntdqa
    mpsadbw packusdw pblendvb pblendw pcmpeqq pextrb pextrd pextrq
    phminposuw pinsrb pinsrd pinsrq pmaxsb pmaxsd pmaxud pmaxuw pminsb
    pminsd pminud pminuw pmuldq pmulld ptest roundpd roundps roundsd roundss
    crc32 pcmpestri pcmpestrm pcmpistri pcmpistrm pcmpgtq
    extrq insertq movntsd movntss
    popcnt lzcnt
    andn bextr blsi blsmsk blsr
    bzhi mulx pdep pext rorx sarx shlx shrx
    adcx adox movbe cmpxchg16b prefetchw
    pclmulqdq rdrand rdseed xgetbv xsave xsaveopt xsavec xrstor
    clflushopt clwb
""".split())
# Families by prefix: VEX/EVEX-encoded instructions all start with "v";
# AVX-512 mask instructions with "k"; AES, SHA, PCLMUL, SSE4.1 moves.
BEYOND_PREFIXES = ("aes", "sha1", "sha256", "pclmul", "pmovsx", "pmovzx")
MASK_OP = re.compile(r"^k(mov|and|andn|or|xor|xnor|not|ortest|test|shift|"
                     r"unpck|add)")
WIDE_REGISTER = re.compile(r"%(ymm|zmm)\d+|%k[0-7]\b")
# VERR/VERW are baseline (and never emitted by a compiler anyway).
BASELINE_V = {"verr", "verw"}

FUNCTION_LINE = re.compile(r"^[0-9a-f]+ <(.*)>:$")
INSTRUCTION_LINE = re.compile(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$")


def beyond_baseline(mnemonic, operands):
  """Whether one instruction needs more than baseline x86-64."""
  if WIDE_REGISTER.search(operands):
    return True
  if mnemonic.startswith("v") and mnemonic not in BASELINE_V:
    return True
  if MASK_OP.match(mnemonic):
    return True
  if mnemonic.startswith(BEYOND_PREFIXES):
    return True
  if mnemonic in BEYOND_BASELINE:
    return True
  # AT&T size suffixes: popcntq, crc32b, andnl ...
  return mnemonic[-1:] in "bwlq" and mnemonic[:-1] in BEYOND_BASELINE


def offenders(objdump, path):
  """(function, address, instruction) for each offending instruction."""
  # --no-show-raw-insn: mnemonic first; -C: readable names; -w: one line.
  proc = subprocess.run(
      [objdump, "-d", "-C", "-w", "--no-show-raw-insn", path],
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
  if proc.returncode != 0:
    raise RuntimeError(f"{objdump} -d {path}: {proc.stderr.strip()}")
  found = []
  function = "?"
  allowed = False
  for line in proc.stdout.splitlines():
    m = FUNCTION_LINE.match(line)
    if m:
      function = m.group(1)
      allowed = bool(ALLOWED_FUNCTIONS.search(function))
      continue
    if allowed:
      continue
    m = INSTRUCTION_LINE.match(line)
    if not m:
      continue
    mnemonic, operands = m.group(2), m.group(3)
    # Prefixes objdump prints as separate words (rep, lock, data16, notrack,
    # bnd, {evex}): the instruction is the first word that is not one.
    words = [mnemonic] + operands.split()
    while len(words) > 1 and words[0] in ("rep", "repz", "repnz", "repe",
                                          "repne", "lock", "data16", "addr32",
                                          "notrack", "bnd", "cs", "ds", "{evex}",
                                          "{vex}", "{vex3}"):
      words = words[1:]
    mnemonic, operands = words[0], " ".join(words[1:])
    if beyond_baseline(mnemonic, operands):
      found.append((function, m.group(1), f"{mnemonic} {operands}".strip()))
  return found


def is_elf(path):
  try:
    with open(path, "rb") as f:
      return f.read(4) == b"\x7fELF"
  except OSError:
    return False


def check(objdump, paths, out):
  """Prints offenders per file; returns how many files have some."""
  bad_files = 0
  # One objdump per file, as many at once as there are cores.
  with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
    results = list(pool.map(lambda p: offenders(objdump, p), paths))
  for path, found in zip(paths, results):
    if not found:
      continue
    bad_files += 1
    functions = {}
    for function, address, insn in found:
      functions.setdefault(function, []).append((address, insn))
    print(f"{path}: {len(found)} instruction(s) beyond baseline x86-64 in "
          f"{len(functions)} function(s) outside the dispatched kernels:",
          file=out)
    for function, insns in sorted(functions.items()):
      address, insn = insns[0]
      more = f" (+{len(insns) - 1} more)" if len(insns) > 1 else ""
      print(f"  {function}: {address}: {insn}{more}", file=out)
  return bad_files


def self_test(objdump, cxx, sample):
  """The checker flags AVX2 and POPCNT code outside the kernels' namespaces
  and accepts it inside them and baseline code anywhere."""
  with tempfile.TemporaryDirectory() as tmp:
    obj = os.path.join(tmp, "isa_sample.o")
    subprocess.run([cxx, "-O2", "-mavx2", "-mpopcnt", "-c", sample, "-o", obj],
                   check=True)
    found = offenders(objdump, obj)
  by_function = {}
  for function, _, insn in found:
    by_function.setdefault(function, []).append(insn)
  failures = []
  for name, what in (("Avx2Offender", "ymm"), ("PopcountOffender", "popcnt")):
    insns = [i for f, l in by_function.items() if name in f for i in l]
    if not any(what in i for i in insns):
      failures.append(f"{name}: not flagged ({insns})")
  for function in by_function:
    if "avx2::" in function or "Baseline" in function:
      failures.append(f"{function}: flagged but allowed: {by_function[function]}")
  for f in failures:
    print(f"self-test: {f}", file=sys.stderr)
  print("self-test: " + ("FAILED" if failures else
                         f"ok ({len(found)} offending instructions found in "
                         f"{sorted(by_function)})"))
  return 1 if failures else 0


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--objdump", default="objdump")
  parser.add_argument("--native", default="OFF",
                      help="the build's HW_NATIVE_ARCH; ON skips the check")
  parser.add_argument("--self-test", action="store_true")
  parser.add_argument("--cxx", help="compiler for the self-test's sample")
  parser.add_argument("--sample", help="the self-test's sample source")
  parser.add_argument("--exclude", action="append", default=[],
                      help="file name to leave out (repeatable)")
  parser.add_argument("paths", nargs="*",
                      help="ELF files, or folders whose ELF files to check")
  args = parser.parse_args()
  if args.self_test:
    return self_test(args.objdump, args.cxx, args.sample)
  if args.native.upper() in ("ON", "1", "TRUE", "YES"):
    print("check_isa: skipped: HW_NATIVE_ARCH is on, so this build targets "
          "the build machine's CPU on purpose")
    return 77
  files = []
  for p in args.paths:
    if os.path.isdir(p):
      files += sorted(os.path.join(p, n) for n in os.listdir(p)
                      if is_elf(os.path.join(p, n)))
    else:
      files.append(p)
  files = [f for f in files if os.path.basename(f) not in args.exclude]
  if not files:
    print("check_isa: no binaries to check", file=sys.stderr)
    return 2
  try:
    bad = check(args.objdump, files, sys.stdout)
  except RuntimeError as e:
    print(f"check_isa: {e}", file=sys.stderr)
    return 2
  if bad:
    print(f"check_isa: {bad} of {len(files)} binaries have instructions beyond "
          "baseline x86-64 outside the dispatched kernels (namespaces avx2, "
          "avx512); move the code into a kernel or drop the flag that "
          "produced it")
    return 1
  print(f"check_isa: {len(files)} binaries use baseline x86-64 outside the "
        "dispatched kernels")
  return 0


if __name__ == "__main__":
  sys.exit(main())
