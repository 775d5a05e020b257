/** A binary min-heap of timers ordered by time, then by insertion order (so equal times stay FIFO). */

/** Timer is one scheduled piece of simulator work. */
export interface Timer {
  at: number;
  seq: number;
  action: 'deployment' | 'replicaset' | 'job' | 'cronjob' | 'ttl' | 'pod-start' | 'pod-gone' | 'pod-complete' | 'container-restart' | 'pod-probe' | 'statefulset' | 'daemonset' | 'hpa';
  key: string;
  /** fails marks a pod-start whose image never becomes ready. */
  fails?: boolean;
  /** restarts is the restartCount a container-restart timer records. */
  restarts?: number;
  /** bound is when the pod was bound (pod-start, pod-probe): its probe workers' tickers start then. */
  bound?: number;
  /** started is when a pod-probe timer's containers started. */
  started?: number;
  /** uid is the pod a pod-probe timer is about (a StatefulSet pod's name comes back with a new uid). */
  uid?: string;
}

// Node is one heap slot. Timers come in several shapes (optional fields per action), and comparing
// them directly made every comparison a megamorphic property lookup: 100k pods push and pop 300k
// timers, about 10M comparisons. Slots all have one shape, so `less` stays a monomorphic load.
class Node {
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly timer: Timer,
  ) {}
}

/** TimerHeap keeps timers so the earliest is always at hand. */
export class TimerHeap {
  private readonly a: Node[] = [];

  /** size is the number of pending timers. */
  get size(): number {
    return this.a.length;
  }

  /** peekAt is the time of the earliest timer (undefined when there is none). */
  peekAt(): number | undefined {
    return this.a[0]?.at;
  }

  /** push adds a timer. */
  push(t: Timer): void {
    const a = this.a;
    a.push(new Node(t.at, t.seq, t));
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  /** pop removes and returns the earliest timer. */
  pop(): Timer | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!.timer;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  /** all returns every pending timer (unordered), for persisting. */
  all(): Timer[] {
    return this.a.map((n) => n.timer);
  }
}

function less(x: Node, y: Node): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
