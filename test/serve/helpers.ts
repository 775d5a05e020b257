/** Test helpers for `mflux serve`: running the real kubectl against it. */
import { execFile } from 'node:child_process';
import path from 'node:path';

/** KUBECTL is the kubectl binary the serve tests drive ($KUBECTL, else the one on PATH). */
export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

/** KRun is one kubectl run: exit code and output. */
export interface KRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** runKubectl runs the real binary asynchronously (the server answers in this same process), with its own HOME and cache under `root`. */
export function runKubectl(kubeconfig: string, root: string, ...args: string[]): Promise<KRun> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(root, 'kube-cache'), ...args], { encoding: 'utf8', env: { ...process.env, HOME: root, KUBECONFIG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
