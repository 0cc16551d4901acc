# The eigenvalues of a saved C0 (a bench's MODEL/hookline-stats/c0-*.safetensors, float64) and the dimension of
# AlphaEdit's null space at the thresholds 2e-2, 2e-1, 1 and 10 (eigenvalues below each). Usage:
#   python3 scripts/c0-nullity.py MODEL/hookline-stats/c0-*.safetensors   (numpy)
import json, struct, sys, numpy as np
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]; hdr = json.loads(f.read(n)); base = 8 + n
        for name, t in hdr.items():
            if name == '__metadata__': continue
            s, e = t['data_offsets']; f.seek(base + s)
            a = np.frombuffer(f.read(e - s), dtype={'F64': np.float64, 'F32': np.float32}[t['dtype']]).reshape(t['shape'])
            if a.ndim != 2 or a.shape[0] != a.shape[1]: print(path, name, a.shape); continue
            w = np.linalg.eigvalsh(a)
            print(path.split('/')[-3], name, a.shape, 'trace %.1f max %.2f' % (w.sum(), w.max()),
                  ' '.join('%g:%d' % (t, (w < t).sum()) for t in [2e-2, 2e-1, 1, 10]))
