/**
 * @module runtime/stager/stager-script — the stager and uploader a cluster engine runs beside a
 * staged container (docs/cluster.md, "Data staging on the node the engine chose"): stdlib Python
 * 3, run as `python3 -c STAGER_SCRIPT <mode> <session url> <root> [paths…]` in the base image every
 * node holds. It talks only to its Slipway session URL (controllers/staging/staging-sessions.ts).
 *
 *   stage    GET manifest; make dirs, write inline files, download objects (8 at a time, sizes
 *            checked, permission bits when given); POST report (ok or the error)
 *   collect  GET have; PUT every file under the given folders of root that Slipway does not hold
 *            with the same size and mtime (sent along); POST report
 *   feed     (Pipe mode, a sidecar for the container's whole life) for each given FIFO base path
 *            n, epoch e = 0, 1, …: make `<path>_<e>` if missing, open it for writing (blocks until
 *            the container opens it), copy GET feed/<n>/<e> into it, close (the reader's EOF),
 *            unlink, next epoch. A reader that closes early ends the epoch. A stream that breaks
 *            off (Slipway found the data unusable, or is gone) leaves the FIFO open: the reader
 *            never mistakes a cut epoch for a whole one, and the job fails with Slipway's reason.
 */

/** Exit code of a stager that reported a failure. */
export const STAGER_FAILED_EXIT = 3;

export const STAGER_SCRIPT = String.raw`
import json, os, signal, stat, sys, threading, time, urllib.parse, urllib.request, shutil
from concurrent.futures import ThreadPoolExecutor

mode, base, root = sys.argv[1], sys.argv[2].rstrip('/'), os.path.realpath(sys.argv[3])
# The feeder's threads sit in blocking FIFO opens: only a hard exit ends them at once.
signal.signal(signal.SIGTERM, lambda *a: os._exit(0) if mode == 'feed' else sys.exit(0))

def call(method, url, data=None, timeout=120):
    req = urllib.request.Request(url, data=data, method=method)
    return urllib.request.urlopen(req, timeout=timeout)

def report(error=None):
    body = json.dumps({} if error is None else {'error': error}).encode()
    for attempt in range(5):
        try:
            call('POST', base + '/report', body).read()
            return
        except Exception as e:
            time.sleep(1 + attempt)

def inside(rel):
    p = os.path.realpath(os.path.join(root, rel))
    if p != root and not p.startswith(root + os.sep):
        raise ValueError('path outside the staging root: ' + rel)
    return p

def fetch(obj):
    dest = inside(obj['path'])
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    for attempt in range(3):
        try:
            with call('GET', obj['url'], timeout=300) as r, open(dest, 'wb') as f:
                shutil.copyfileobj(r, f, 1 << 20)
            if os.path.getsize(dest) != obj['size']:
                raise IOError('short download of %s' % obj['path'])
            if 'mode' in obj:
                os.chmod(dest, obj['mode'] & 0o777)
            return
        except Exception:
            if attempt == 2:
                raise
            time.sleep(1 + attempt)

def make_fifo(p):
    if os.path.lexists(p):
        if stat.S_ISFIFO(os.lstat(p).st_mode):
            return
        os.unlink(p)
    os.mkfifo(p)
    os.chmod(p, 0o666)

def pump(n, epoch, fd):
    # True when the epoch ended (whole, or its reader stopped early); False when the stream broke off.
    for attempt in range(5):
        try:
            r = call('GET', '%s/feed/%d/%d' % (base, n, epoch), timeout=300)
            break
        except Exception as e:
            err = e
            time.sleep(1 + attempt)
    else:
        print('slipway-stager: feed %d epoch %d: %s' % (n, epoch, err), file=sys.stderr, flush=True)
        return False
    with r:
        try:
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    return True
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
        except BrokenPipeError:
            return True
        except Exception as e:
            print('slipway-stager: feed %d epoch %d broke off: %s' % (n, epoch, e), file=sys.stderr, flush=True)
            return False

def feed_one(n, rel):
    base_path = inside(rel)
    name, parent = os.path.basename(base_path), os.path.dirname(base_path)
    # Resume at the newest epoch present, as Slipway's own feeder does.
    epochs = [int(f[len(name) + 1:]) for f in os.listdir(parent) if f.startswith(name + '_') and f[len(name) + 1:].isdigit()]
    epoch = max(epochs) if epochs else 0
    while True:
        fifo = '%s_%d' % (base_path, epoch)
        make_fifo(fifo)
        fd = os.open(fifo, os.O_WRONLY)
        if not pump(n, epoch, fd):
            while True:
                time.sleep(3600)
        os.close(fd)
        os.unlink(fifo)
        epoch += 1

def feed(paths):
    for n, rel in enumerate(paths):
        threading.Thread(target=feed_one, args=(n, rel), daemon=True).start()
    while True:
        time.sleep(3600)

def stage():
    with call('GET', base + '/manifest') as r:
        m = json.load(r)
    for d in m['dirs']:
        p = inside(d)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, 0o777)
    for f in m['inline']:
        p = inside(f['path'])
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as out:
            out.write(f['content'])
    for f in m.get('fifos', []):
        p = inside(f)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        make_fifo(p)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fetch, m['objects']))

class Upto:
    # At most n bytes of f: Content-Length must match while a running job appends to the file.
    def __init__(self, f, n):
        self.f, self.left = f, n
    def read(self, size=-1):
        if self.left <= 0:
            return b''
        want = self.left if size is None or size < 0 else min(size, self.left)
        # A file cut short meanwhile is padded (its new mtime sends it again at the next pull),
        # so the server never waits for bytes that will not come.
        chunk = self.f.read(want) or b'\0' * min(want, 1 << 20)
        self.left -= len(chunk)
        return chunk

def collect(paths):
    # What Slipway already holds (a repeated collect: checkpoint sync) is not sent again.
    try:
        with call('GET', base + '/have') as r:
            have = json.load(r)
    except Exception:
        have = {}
    for top in paths:
        start = inside(top)
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                p = os.path.join(dirpath, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                rel = os.path.relpath(p, root)
                try:
                    st = os.stat(p)
                    f = open(p, 'rb')
                except FileNotFoundError:
                    continue  # removed since the walk (a running job's temporary file)
                mtime_ms = st.st_mtime_ns // 1000000
                with f:
                    if have.get(rel) == '%d:%d' % (st.st_size, mtime_ms):
                        continue
                    # The size seen, not more: a file still growing is sent again at the next pull.
                    req = urllib.request.Request(base + '/put/' + urllib.parse.quote(rel), data=Upto(f, st.st_size), method='PUT')
                    req.add_header('Content-Length', str(st.st_size))
                    req.add_header('X-Slipway-Mtime-Ms', str(mtime_ms))
                    urllib.request.urlopen(req, timeout=600).read()

if mode == 'feed':
    feed(sys.argv[4:])
try:
    if mode == 'stage':
        stage()
    else:
        collect(sys.argv[4:])
except Exception as e:
    print('slipway-stager: %s failed: %s' % (mode, e), file=sys.stderr, flush=True)
    report('%s: %s' % (type(e).__name__, e))
    sys.exit(3)
report()
print('slipway-stager: %s done' % mode, flush=True)
`;
