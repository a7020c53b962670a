/**
 * The one import of onnxruntime-node: everything else imports `ort` from here.
 *
 * onnxruntime ≥ 1.29 starts a telemetry uploader on Linux when the first session is created. Its
 * process-info event reads /proc/self/cmdline and scans it recursively, a couple of stack frames per
 * character: about 30 KB of command line (`idoltag tag` with ~300 long screenshot paths) overflows the
 * 8 MB main-thread stack and the process dies with SIGSEGV. Switching the uploader off before any
 * session exists removes that scan (and keeps idoltag from phoning home). onnxruntime reads the
 * variable when the first session is created, so setting it here, at import, is early enough.
 */
import * as ort from 'onnxruntime-node';

process.env.ORT_DISABLE_TELEMETRY = '1';

export { ort };
