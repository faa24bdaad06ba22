/*
 * The reboot-slot protocol of clusterrebootd, as a Promela model for spin.
 * Explained in docs/SLOTS.md, section "The model"; run by scripts/model/check.ts.
 *
 * One group of N nodes with limit L; etcd is one linearizable store: every protocol step that
 * is one etcd transaction is one atomic step here (d_step), and every step name in CAPITALS is
 * the name the code uses in a comment next to the function that implements it.
 *
 * Time is abstract: a lease expires by an environment move that is allowed only while nobody
 * keeps it alive (its daemon crashed, froze, or its machine is down), and a slot deadline passes
 * by an environment move at any moment after the fence, once the session keys of a machine that
 * went down have expired (reboot_slot_timeout_sec >= 120 s > lock_ttl_sec <= 90 s).
 *
 * Membership and "down": every node name is a member (P/members, with the limit its daemon
 * enforces); a member that holds no slot is *up* only with a healthy health record (P/health/<name>,
 * on its daemon's session lease): no record, or a record that is not healthy (the `starting`
 * record a session puts up at open, before its first health check passes), counts as down in
 * admission and in the fence's re-check (count_down_nodes: true; src/slots/down.ts downMembers).
 * ACQUIRE compares the mod revision of the health keys of the members it counted as up; the FENCE
 * re-checks the budget on the view read under the slot and compares the create revision of the
 * health keys of the members that view counted as up and the guards' mod revisions as that view read
 * them (no slot taken since); when a compare fails on those (peers changed) the code re-reads and
 * decides again (RECHECK). A power loss (POWER_OFF) takes a machine down without a slot; its record
 * disappears when its session lease expires; a running daemon that lost its session opens a new
 * one (RENEW). max_failed_reboots
 * K = 1: the fence and RECREATE put the slot on no lease; a slot past its deadline is turned into
 * a failure plus the group's freeze (CONVERT); a reboot that did not happen freezes at its RELEASE.
 *
 * Switches (spin -D...):
 *   N, L               nodes in the group (2..4), group limit
 *   IMPOSTOR           a second machine with the node name of node 0 (machine id N)
 *   WIPE               etcd may lose all its data once (new cluster id / revision backwards)
 *   MISLIMIT           node N-1 is configured with limit L+1 (effective limit = min of holders')
 *   FORCE              the operator may `unlock --force` a rebooting/verifying slot (expected to fail)
 *   BUDGET=k           at most k fault moves in a run: crash, freeze, a gate refusing, pause,
 *                      unlock, a deadline passing, a reboot that does not happen, the data loss
 *   UNPLANNED=k        at most k power losses (POWER_OFF) in a run (default 0); not in BUDGET
 *   NO_RESUME          the operator never runs `resume --group` (the impostor's pass configuration)
 *   MUTANT_NO_FENCE, MUTANT_NO_MACHINE_ID, MUTANT_NO_ETCD_ID,
 *   MUTANT_NO_DEADLINE_CHECK, MUTANT_SLOTS_ONLY (admission ignores down members),
 *   MUTANT_NO_FREEZE (a stale slot is freed without freezing: the old lease expiry),
 *   MUTANT_NO_UP_COMPARE (ACQUIRE does not compare the health keys it counted as up),
 *   MUTANT_FENCE_NO_BUDGET (the fence neither re-checks the budget nor compares health keys or guards),
 *   MUTANT_FENCE_NO_UP_COMPARE (the fence re-checks the budget but compares no health key)
 *                      each must produce a counter-example (a violated assertion)
 *   MUTANT_NO_QUEUE    every waiter ignores the queue: must stay safe
 *   MUTANT_EARLY_RELEASE  release before the post-boot health check: must stay safe now (a node is
 *                      up only with a healthy record, so it still counts as down)
 *   MUTANT_FENCE_NO_GUARD  the fence does not compare the guards' mod revisions as the view under
 *                      the slot read them (the code before that compare): a slot taken since that
 *                      view plus a power loss exceed a limit >= 2 (must fail)
 */
#ifndef N
#define N 3
#endif
#ifndef L
#define L 1
#endif
#define MAXN 4
#define MAXM 5
#ifdef IMPOSTOR
#define M (N+1)
#else
#define M N
#endif
/* the node name a machine runs under: the impostor (machine N) claims node 0's name */
#define NAME(m) ((m) < N -> (m) : 0)

/* ---- daemon steps (pc) ---- */
#define START     0  /* process (re)started: identity checks, find own slot (by name AND machine id) */
#define IDLE      1  /* DETECT + GATES + QUEUE: reboot needed, pre-slot gates pass, write ticket */
#define QUEUED    2  /* waiting in the queue: READ snapshot when it is our turn */
#define READ      3  /* admitted on the snapshot: ACQUIRE transaction */
#define PREP      4  /* holding a preparing slot: RECHECK gates under the slot */
#define FENCE     5  /* re-check passed: FENCE transaction */
#define FENCED    6  /* slot is rebooting, marker written: DEADLINE_CHECK then EXEC */
#define DOWN      7  /* the machine is down after EXEC: BOOT */
#define VERIFY    8  /* back, own slot rebooting: VERIFY (slot -> verifying) */
#define HEALTH    9  /* post-boot health check: HEALTH */
#define UNCORDON 10  /* UNCORDON */
#define RELEASE  11  /* RELEASE: delete slot, put cooldown */
#define CRASHED  12  /* daemon process dead (machine up): RESTART */
#define REFUSED  13  /* refused to run (another machine owns our node name): RESTART later */
#define OFF      14  /* the machine lost power (POWER_OFF): POWER_ON later */

/* slot phases */
#define S_NONE 0
#define S_PREP 1
#define S_REB  2
#define S_VER  3
/* leases of a key: on its owner's session (kept alive while the daemon lives), on a dead session
   (will expire), or none. (With max_failed_reboots >= 1 no slot lives on a slot lease; K = 0, the
   Go behaviour, is not modelled.) */
#define K_NONE 0
#define K_SESS 1
#define K_DEAD 2
#define K_NOL  4   /* no lease (a fenced slot with max_failed_reboots >= 1): never expires by itself */

#ifdef MUTANT_EARLY_RELEASE
#define AFTER_VERIFY   RELEASE
#define AFTER_UNCORDON IDLE
#define AFTER_RELEASE  HEALTH
#else
#define AFTER_VERIFY   HEALTH
#define AFTER_UNCORDON RELEASE
#define AFTER_RELEASE  IDLE
#endif

#ifndef UNPLANNED
#define UNPLANNED 0
#endif
byte udLeft = UNPLANNED;   /* power losses left in this run */

#ifdef BUDGET
byte faults = BUDGET;
#define FAULT (faults > 0)
#define SPEND faults--
#else
#define FAULT true
#define SPEND skip
#endif

/* ---- etcd ---- */
byte sPh[MAXN];    /* P/slots/<group>/<name>: phase */
byte sOwn[MAXN];   /* machine id in the slot record (also stands for its create revision) */
byte sL[MAXN];     /* its lease */
byte sLim[MAXN];   /* the limit the holder enforced */
byte tkL[MAXN];    /* P/queue/<group>/<name>: lease of the ticket */
byte tkOwn[MAXN];
byte q[MAXN];      /* tickets by create revision: name+1, oldest first */
byte qn;
byte hL[MAXN];     /* P/health/<name>: lease of the health record */
byte hOwn[MAXN];
bool hOk[MAXN];    /* its verdict: healthy (false: `starting`, before the first health check passed) */
bool pause;        /* P/pause */
bool fz;           /* P/frozen/<group> (the group's failures reached K = 1): no ACQUIRE, no FENCE */
bool gfail;        /* ghost: a failed reboot happened and no operator resumed since (P3) */
#ifdef WIPE
bool mem[MAXN];    /* P/members/<name>: lost with etcd's data, written again when a daemon starts */
#define MEMBER(k) mem[k]
#define REGISTER(k) mem[k] = 1
#else
#define MEMBER(k) true
#define REGISTER(k) skip
#endif
bool cool;         /* P/cooldown/<group> (on its own lease: expires by itself) */
bool epoch;        /* etcd's identity: flips when etcd loses its data */
bool wiped;        /* at most one data loss */
/* guards: gok[m] = "both guard mod revisions are still what m's last snapshot read" */
bool gok[MAXM];
byte rlim[MAXM];   /* the effective limit m's snapshot admitted it under (recorded in the slot) */
byte hup[MAXM];    /* names m's snapshot counted as up (bit per name): ACQUIRE compares their health
                      keys' mod revision, so any rewrite or deletion of one fails m's transaction */
byte fup[MAXM];    /* names the view under m's slot counted as up: the FENCE compares their health
                      keys' create revision, so a deletion of one fails m's fence */
bool fok[MAXM];    /* those fence compares still hold */
byte memr[MAXM];   /* ghost: the members m's READ saw (P2 judges those; one registered since is up) */
#if !defined(MUTANT_FENCE_NO_GUARD) && !defined(MUTANT_FENCE_NO_BUDGET)
bool fgok[MAXM];   /* the guards are still what the view under m's slot read (the fence compares
                      their mod revisions: no slot taken since that view) */
#define FENCE_GUARD_BUMP fgok[0] = 0; fgok[1] = 0; fgok[2] = 0; fgok[3] = 0; fgok[4] = 0
#define FENCE_GUARD_READ fgok[m] = 1
#define FENCE_GUARD_OK fgok[m]
#else
#define FENCE_GUARD_BUMP skip
#define FENCE_GUARD_READ skip
#define FENCE_GUARD_OK true
#endif

/* ---- machines and daemons ---- */
byte pc[MAXM];
bool frozen[MAXM]; /* process stopped (SIGSTOP, VM pause): keeps nothing alive */
bool need[MAXM] = 1; /* a reboot is required */
bool booted[MAXM]; /* boot id differs from the one in the slot (the reboot happened) */
byte ref[MAXM];    /* the slot this process acts on: its sOwn (create revision) */
/* local disk, survives crashes and reboots */
bool marker[MAXM]; /* "rebooting under slot S", written before EXEC */
bool fep[MAXM];    /* etcd identity when the marker was written */
bool seen[MAXM];   /* etcd identity last seen */
bool holdoff[MAXM];/* identity changed: take no new slot for reboot_slot_timeout */
/* time */
bool dl[MAXM];     /* the deadline of m's current fence has passed */
/* what the invariant looks at (ghost state, not in the protocol) */
bool down[MAXM];   /* between "reboot command ran" and "healthy again" */
bool aband[MAXM];  /* still down when the hold-off after an etcd data loss ended (WIPE only) */
bool ud[MAXM];     /* unplanned down: lost power, not back yet */
byte saw[MAXM];    /* machines unplanned-down that etcd showed as down when m's FENCE committed */

/* scratch for d_steps; not hidden for breadth-first runs (spin refuses BFS with hidden vars) */
#ifdef NOHIDDEN
byte i, j, lim, use, ch, sm;
#else
hidden byte i, j, lim, use, ch, sm;
#endif

#define RUNNING(m) (pc[m] != DOWN && pc[m] != CRASHED && pc[m] != REFUSED && pc[m] != OFF)
/* unused array entries stay 0, so the sums can run over MAXM / MAXN */
#define COUNTED(m) (down[m] && !aband[m])
#define PLANNED (COUNTED(0) + COUNTED(1) + COUNTED(2) + COUNTED(3) + COUNTED(4))
#define HELD ((sPh[0] != S_NONE) + (sPh[1] != S_NONE) + (sPh[2] != S_NONE) + (sPh[3] != S_NONE))
#define ALLDONE (!need[0] && !need[1] && (N < 3 || !need[2]) && (N < 4 || !need[3]))
/* a member is up only with a live, healthy health record */
#define UP(k) (hL[k] != K_NONE && hOk[k])
/* etcd can know that name k's machine lost power: a member whose session is gone (no health
   record). Like the chaos ledger, an unplanned down counts from its session lease's expiry: before
   it, a record (`starting`, unhealthy, or a slot it held, which an `unlock` may delete) tells
   nothing of the power loss. While the machine stays off this stays true (its record only comes
   back with its daemon), until etcd loses its data. */
#define VISIBLE_DOWN(k) (MEMBER(k) && hL[k] == K_NONE)
/* in a Machine (own name n): name k is a member down without a slot, as etcd shows it now */
#define DOWNX(k) ((k) < N && (k) != n && sPh[k] == S_NONE && MEMBER(k) && !UP(k))
#define DOWNS (DOWNX(0) + DOWNX(1) + DOWNX(2) + DOWNX(3))
/* ... as admission and the fence count it; k's health key is compared when counted up */
#ifndef MUTANT_SLOTS_ONLY
#define DOWNM(k) DOWNX(k)
#define UPB(k) (((k) < N && (k) != n && sPh[k] == S_NONE && MEMBER(k) && UP(k)) -> (1 << (k)) : 0)
#else
#define DOWNM(k) 0
#define UPB(k) 0
#endif
#define UPS (UPB(0) | UPB(1) | UPB(2) | UPB(3))
/* a READ by m admits it: in use below the limit, and our ticket among the first (limit - in use) */
#define USE (HELD + DOWNM(0) + DOWNM(1) + DOWNM(2) + DOWNM(3))
#ifdef MUTANT_NO_QUEUE
#define POS 0
#else
#define POS (q[0] == n+1 -> 0 : (q[1] == n+1 -> 1 : (q[2] == n+1 -> 2 : 3)))
#endif
#define ADMITS(m) (USE < EFFLIM(m) && POS + USE < EFFLIM(m))
/* machine k is unplanned-down and etcd can know it (by its name) */
#define SEEN(k) ((ud[k] && NAME(k) != n && VISIBLE_DOWN(NAME(k))) -> (1 << (k)) : 0)

/* (The sums below are unrolled over MAXM / MAXN: loops inside these d_steps were mis-compiled.) */
/* in machine m, at its EXEC: the unplanned downs etcd could know of when m's FENCE committed and
   still down (not counted as planned too) */
#define CHG(k) (ud[k] && !COUNTED(k) && ((sm >> (k)) & 1))
#define charged() sm = saw[m]; ch = CHG(0) + CHG(1) + CHG(2) + CHG(3) + CHG(4)

/* P1, the budget. When a machine's reboot command runs (EXEC), the planned downs (itself included:
   between the reboot command and a passed health check) plus the unplanned downs (powered off, not
   on again) that etcd could know of when its FENCE committed (their session gone, or a slot held)
   number at most L. This is the chaos ledger's rule, judged at the fence: an unplanned down etcd
   could not know of then (its session lease still alive, or it happened later) is the world's
   doing. Planned downs only start at EXEC, so asserting it there covers every pair. */
#define CHECK_BUDGET charged(); assert(PLANNED + ch <= L)
/* P2, admission (what the etcd audit checks): when a slot is created, the slots plus the members
   without a slot and without a health record (session gone), as etcd shows them at that
   revision, are below L */
#define GONE(k) ((k) < N && (k) != n && sPh[k] == S_NONE && MEMBER(k) && hL[k] == K_NONE && ((memr[m] >> (k)) & 1))
#define CHECK_ADMISSION assert(HELD + GONE(0) + GONE(1) + GONE(2) + GONE(3) + 1 <= L)
/* P3, the freeze: no slot is created (ACQUIRE) or fenced (FENCE) between a failed reboot and the
   operator's `resume --group` (or the loss of etcd's data, which loses the freeze too) */
#define CHECK_FREEZE assert(gfail <= 0)
#ifdef LIVENESS
ltl live { <> ALLDONE }
#endif

#ifdef MUTANT_NO_MACHINE_ID
#define MINE(m, n)    (sPh[n] != S_NONE)
#define FOREIGN(m, n) false
#else
#define MINE(m, n)    (sPh[n] != S_NONE && sOwn[n] == (m))
#define FOREIGN(m, n) ((sPh[n] != S_NONE && sOwn[n] != (m)) || (hL[n] != K_NONE && hOwn[n] != (m)))
#endif

/* the READ response carries etcd's cluster id and revision: compared with the local record */
#ifdef MUTANT_NO_ETCD_ID
#define SAME_ETCD(m) true
#else
#define SAME_ETCD(m) (seen[m] == epoch)
#endif

#ifdef MISLIMIT
#define MYLIMIT(m) ((m) == N-1 -> L+1 : L)
#else
#define MYLIMIT(m) L
#endif

/* Health keys. Unrolled over MAXM: spin mis-compiles a for loop followed by more statements
   inside a d_step. A rewrite (any put) changes the mod revision: every ACQUIRE that compares it
   fails. A deletion also changes the create revision (a later put re-creates the key): every
   FENCE that compares it fails too. A put on an existing key keeps its create revision. */
#ifndef MUTANT_NO_UP_COMPARE
#define MODFAIL(k, n) if :: (hup[k] >> (n)) & 1 -> gok[k] = 0 :: else fi
#else
#define MODFAIL(k, n) skip
#endif
#if defined(MUTANT_FENCE_NO_UP_COMPARE) || defined(MUTANT_FENCE_NO_BUDGET)
#define CREFAIL(k, n) skip
#else
#define CREFAIL(k, n) if :: (fup[k] >> (n)) & 1 -> fok[k] = 0 :: else fi
#endif
#define healthMod(n) MODFAIL(0, n); MODFAIL(1, n); MODFAIL(2, n); MODFAIL(3, n); MODFAIL(4, n)
#define healthGone(n) healthMod(n); CREFAIL(0, n); CREFAIL(1, n); CREFAIL(2, n); CREFAIL(3, n); CREFAIL(4, n); \
                      hL[n] = K_NONE; hOwn[n] = 0; hOk[n] = 0

/* a session opens: member record, and the `starting` record (not healthy) on the session lease */
#define PUBLISH_HEALTH(m, n) healthMod(n); hL[n] = K_SESS; hOwn[n] = m; hOk[n] = 0; REGISTER(n)

/* a failed reboot (K = 1): the group freezes in the same transaction */
#ifdef MUTANT_NO_FREEZE
#define FREEZE_GROUP gfail = 1
#else
#define FREEZE_GROUP fz = 1; gfail = 1
#endif

inline delSlot(n) { sPh[n] = S_NONE; sOwn[n] = 0; sL[n] = K_NONE; sLim[n] = 0 }

inline dequeue(n) {
  if
  :: tkL[n] != K_NONE ->
     j = 0;
     do
     :: j < qn && q[j] != n+1 -> j++
     :: else -> break
     od;
     do
     :: j+1 < qn -> q[j] = q[j+1]; j++
     :: else -> break
     od;
     qn--; q[qn] = 0; tkL[n] = K_NONE; tkOwn[n] = 0
  :: else -> skip
  fi
}

/* effective limit: the smallest of ours, those recorded by current holders and those the members
   publish (a member record carries the limit its daemon enforces; node k's daemon runs as machine k) */
#define LIMBY(k) if :: sPh[k] != S_NONE && sLim[k] < lim -> lim = sLim[k] :: else fi
#define MEMLIM(k) if :: (k) < N && MEMBER(k) && MYLIMIT(k) < lim -> lim = MYLIMIT(k) :: else fi
/* the same as an expression (the READ step's guard) */
#define MIN2(a, b) ((a) < (b) -> (a) : (b))
#define LIMX(k) (sPh[k] != S_NONE -> sLim[k] : 9)
#define MEMX(k) (((k) < N && MEMBER(k)) -> MYLIMIT(k) : 9)
#define EFFLIM(m) MIN2(MIN2(MYLIMIT(m), MIN2(MIN2(LIMX(0), LIMX(1)), MIN2(LIMX(2), LIMX(3)))), \
                       MIN2(MIN2(MEMX(0), MEMX(1)), MIN2(MEMX(2), MEMX(3))))
inline effLimit(m) {
  lim = MYLIMIT(m); LIMBY(0); LIMBY(1); LIMBY(2); LIMBY(3);
  MEMLIM(0); MEMLIM(1); MEMLIM(2); MEMLIM(3)
}

/* a machine stops keeping its session lease alive for good (crash, reboot, refusal) */
inline orphan(m, n) {
  if :: sL[n] == K_SESS && sOwn[n] == m -> sL[n] = K_DEAD :: else fi;
  if :: tkL[n] == K_SESS && tkOwn[n] == m -> tkL[n] = K_DEAD :: else fi;
  if :: hL[n] == K_SESS && hOwn[n] == m -> hL[n] = K_DEAD :: else fi
}

/* after reboot_slot_timeout since a data loss, every deadline of a fence made before it passed */
#define AGE(j) aband[j] = aband[j] || (marker[j] && fep[j] != epoch && down[j]); \
               dl[j] = dl[j] || (marker[j] && fep[j] != epoch)
/* machine k's daemon runs (not stopped) but has no session with the current etcd yet */
#define LOST(k) ((k) < M && RUNNING(k) && !frozen[k] && hL[NAME(k)] == K_NONE)
#define ageOldFences() AGE(0); AGE(1); AGE(2); AGE(3); AGE(4)

#define SDEAD(m, n) (sOwn[n] == (m) && sPh[n] != S_NONE && (sL[n] == K_DEAD || (sL[n] == K_SESS && frozen[m])))
#define HDEAD(m, n) (hOwn[n] == (m) && (hL[n] == K_DEAD || (hL[n] == K_SESS && frozen[m])))

proctype Machine(byte m) {
  byte n = NAME(m);
  do
  /* ================= daemon steps ================= */
  :: d_step { pc[m] == START && !frozen[m] ->  /* START (identity checks, own-slot lookup) */
       if
#ifndef MUTANT_NO_ETCD_ID
       :: seen[m] != epoch -> holdoff[m] = 1; seen[m] = epoch   /* ETCD_IDENTITY */
#else
       :: seen[m] != epoch -> seen[m] = epoch
#endif
       :: else
       fi;
       gok[m] = 0;
       if
       :: FOREIGN(m, n) -> orphan(m, n); pc[m] = REFUSED        /* MACHINE_IDENTITY: refuse to run */
       :: else ->
          PUBLISH_HEALTH(m, n);
          if
          :: MINE(m, n) ->
             ref[m] = sOwn[n];
             if
             :: sPh[n] == S_PREP -> delSlot(n); pc[m] = IDLE    /* RECOVER_PREPARING */
             :: sPh[n] == S_REB -> pc[m] = VERIFY
             :: else -> pc[m] = HEALTH
             fi
          :: sPh[n] == S_NONE && marker[m] && !dl[m] ->          /* RECREATE from the marker: an */
             effLimit(m);                                         /* ACQUIRE (admission with down */
             use = USE;                                           /* members, no queue), then the */
             if                                                   /* slot rewritten `rebooting` on no */
             :: !pause && !fz && !cool && use < lim ->            /* lease (two writes, one step here) */
                memr[m] = (MEMBER(0) -> 1 : 0) | (MEMBER(1) -> 2 : 0) | (MEMBER(2) -> 4 : 0) | (MEMBER(3) -> 8 : 0);
                CHECK_FREEZE; CHECK_ADMISSION;
                sPh[n] = S_REB; sOwn[n] = m; sL[n] = K_NOL; sLim[n] = lim; ref[m] = m;
                gok[0] = 0; gok[1] = 0; gok[2] = 0; gok[3] = 0; gok[4] = 0;   /* both guards bumped */
                FENCE_GUARD_BUMP;
                pc[m] = VERIFY
             :: else -> marker[m] = 0; ref[m] = MAXM; pc[m] = HEALTH   /* refused: back without a slot */
             fi
          :: sPh[n] == S_NONE && marker[m] && dl[m] ->           /* past its deadline: marker dropped, */
             marker[m] = 0; ref[m] = MAXM; pc[m] = HEALTH         /* back without a slot (post-boot health) */
          :: else -> pc[m] = IDLE
          fi
       fi }
  :: d_step { pc[m] == IDLE && !frozen[m] && need[m] && !pause && !cool && !holdoff[m] ->
       /* DETECT, GATES, QUEUE: a ticket on the session lease (a put keeps its position); the
          pre-lock health gate passed and published (like HEARTBEAT) */
       if :: hOwn[n] == m && hL[n] == K_SESS && !hOk[n] -> hOk[n] = 1; down[m] = 0; aband[m] = 0; saw[m] = 0 :: else fi;
       if :: tkL[n] == K_NONE -> q[qn] = n+1; qn++ :: else fi;
       tkL[n] = K_SESS; tkOwn[n] = m; pc[m] = QUEUED }
  :: d_step { pc[m] == QUEUED && !frozen[m] && tkL[n] == K_NONE -> pc[m] = IDLE }  /* ticket lost: re-queue */
  :: d_step { pc[m] == QUEUED && !frozen[m] && sPh[n] != S_NONE -> pc[m] = START } /* a slot of our name: own-slot path */
  /* READ: one snapshot; TURN: among the first (limit - in use) tickets; ADMIT on it:
     in use = slots + members down without a slot (no healthy record), ourselves excluded. A read
     that does not admit changes nothing (the daemon waits for the watch): the step is only taken
     when it admits, so a waiting daemon cannot spin on it (weak fairness is per process). */
  :: d_step { pc[m] == QUEUED && !frozen[m] && tkL[n] != K_NONE && sPh[n] == S_NONE && SAME_ETCD(m) && !pause && !fz && !cool && !holdoff[m] &&
              ADMITS(m) -> 
       seen[m] = epoch;
       effLimit(m);
       use = HELD + DOWNM(0) + DOWNM(1) + DOWNM(2) + DOWNM(3);
       hup[m] = UPS;
       memr[m] = (MEMBER(0) -> 1 : 0) | (MEMBER(1) -> 2 : 0) | (MEMBER(2) -> 4 : 0) | (MEMBER(3) -> 8 : 0);
       i = 0;
       do :: i < qn && q[i] != n+1 -> i++ :: else -> break od;
#ifdef MUTANT_NO_QUEUE
       i = 0;
#endif
       if
       :: use < lim && i + use < lim -> gok[m] = 1; rlim[m] = lim; pc[m] = READ
       :: else -> assert(ADMITS(m))   /* never: the guard admitted */
       fi }
  :: d_step { pc[m] == READ && !frozen[m] ->
       /* ACQUIRE: guards unchanged, health keys counted as up unchanged (a rewrite cleared gok),
          pause, freeze, cooldown and own key absent */
       if
       :: gok[m] && !pause && !fz && !cool && sPh[n] == S_NONE ->
          CHECK_FREEZE; CHECK_ADMISSION;
          sPh[n] = S_PREP; sOwn[n] = m; sL[n] = K_SESS; sLim[n] = rlim[m]; ref[m] = m;
          gok[0] = 0; gok[1] = 0; gok[2] = 0; gok[3] = 0; gok[4] = 0;   /* both guards bumped */
          FENCE_GUARD_BUMP;
          dequeue(n);
          hup[m] = 0; pc[m] = PREP
       :: else -> hup[m] = 0; pc[m] = QUEUED
       fi }
  :: d_step { pc[m] == PREP && !frozen[m] && !pause && !fz ->   /* RECHECK passed: the view under the slot */
#ifndef MUTANT_FENCE_NO_BUDGET
       /* the fence's budget re-check on that view: slots (ours included) + members down <= limit */
       effLimit(m);
       use = HELD + DOWNM(0) + DOWNM(1) + DOWNM(2) + DOWNM(3);
       if
       :: use <= lim -> fup[m] = UPS; fok[m] = 1; FENCE_GUARD_READ; pc[m] = FENCE
       :: else ->                                             /* refused: give the slot back */
          if :: sPh[n] == S_PREP && sOwn[n] == ref[m] -> delSlot(n) :: else fi;
          pc[m] = IDLE
       fi }
#else
       fok[m] = 1; pc[m] = FENCE }
#endif
  :: d_step { pc[m] == PREP && !frozen[m] && (pause || fz || FAULT) ->            /* RECHECK refused */
       if :: !pause && !fz -> SPEND :: else fi;
       if :: sPh[n] == S_PREP && sOwn[n] == ref[m] -> delSlot(n) :: else fi;   /* release, no cooldown */
       pc[m] = IDLE }
  :: d_step { pc[m] == FENCE && !frozen[m] ->
#ifndef MUTANT_NO_FENCE
       /* FENCE: create revision ours, still preparing, pause, freeze and cooldown absent, the
          health keys of the members the view counted as up not re-created (fok) */
       if
       :: sPh[n] == S_PREP && sOwn[n] == ref[m] && !pause && !fz && !cool && fok[m] && FENCE_GUARD_OK ->
#else
       if
       :: true ->   /* mutant: the slot is just put as rebooting, nothing compared */
#endif
          CHECK_FREEZE;
          saw[m] = SEEN(0) | SEEN(1) | SEEN(2) | SEEN(3) | SEEN(4);   /* ghost, for P1 */
          sPh[n] = S_REB; sOwn[n] = m; sL[n] = K_NOL; sLim[n] = (sLim[n] == 0 -> L : sLim[n]);
          marker[m] = 1; fep[m] = epoch; dl[m] = 0;              /* MARK before EXEC */
          pc[m] = FENCED
#ifndef MUTANT_NO_FENCE
       :: sPh[n] == S_PREP && sOwn[n] == ref[m] && !pause && !fz && !cool && !(fok[m] && FENCE_GUARD_OK) ->
          pc[m] = PREP   /* peers changed (a slot taken, a record gone): decide again on a fresh view */
       :: else ->
          if :: sPh[n] == S_PREP && sOwn[n] == ref[m] -> delSlot(n) :: else fi;
          pc[m] = IDLE
#endif
       fi;
       fup[m] = 0; fok[m] = 0 }
#ifndef MUTANT_NO_DEADLINE_CHECK
  :: d_step { pc[m] == FENCED && !frozen[m] && dl[m] ->   /* DEADLINE_CHECK failed: do not reboot */
       marker[m] = 0; dl[m] = 0;
       if :: sPh[n] != S_NONE && sOwn[n] == ref[m] -> delSlot(n) :: else fi;
       pc[m] = IDLE }
  :: d_step { pc[m] == FENCED && !frozen[m] && !dl[m] ->  /* DEADLINE_CHECK passed, EXEC: the machine goes down */
#else
  :: d_step { pc[m] == FENCED && !frozen[m] ->
#endif
       down[m] = 1; aband[m] = 0; orphan(m, n); gok[m] = 0; pc[m] = DOWN; CHECK_BUDGET }
  /* EXEC, but the reboot did not happen: the command was allowed (checked as if it went down), but
     the machine stays up and healthy; its daemon finds its slot with the old boot id (START) */
  :: d_step { pc[m] == FENCED && !frozen[m] && !dl[m] && FAULT ->
       SPEND; down[m] = 1; aband[m] = 0; CHECK_BUDGET; down[m] = 0; pc[m] = START }
  :: d_step { pc[m] == VERIFY && !frozen[m] ->             /* VERIFY: rebooting -> verifying, same lease */
       if
       :: sPh[n] == S_REB && sOwn[n] == ref[m] -> sPh[n] = S_VER; pc[m] = AFTER_VERIFY
       :: else -> pc[m] = START                             /* slot gone: START re-creates it */
       fi }
  :: d_step { pc[m] == HEALTH && !frozen[m] ->             /* HEALTH: post-boot health passes, published */
       if :: hOwn[n] == m && hL[n] == K_SESS -> healthMod(n); hOk[n] = 1 :: else fi;
       down[m] = 0; aband[m] = 0; saw[m] = 0; pc[m] = UNCORDON }
  /* HEARTBEAT: a running daemon's health check passes (the machine is healthy again, if it was
     down) and its `starting` record becomes healthy (a record counted as up was healthy already:
     nobody compares this rewrite). Health turning bad on a machine that is up is not modelled: it
     only makes others count it as down. */
  :: d_step { pc[m] >= IDLE && pc[m] <= FENCED && !frozen[m] && hOwn[n] == m && hL[n] == K_SESS && !hOk[n] ->
       hOk[n] = 1; down[m] = 0; aband[m] = 0; saw[m] = 0 }
  /* RENEW (session ensureLease, every pass): a running daemon whose session lease is gone (etcd lost
     its data, or the lease expired while the process was stopped) grants a new one, registers as a
     member again and puts its last health record back: healthy unless it is down (post-boot) */
  :: d_step { pc[m] >= IDLE && pc[m] <= RELEASE && !frozen[m] && hL[n] == K_NONE ->
       healthMod(n); hL[n] = K_SESS; hOwn[n] = m; hOk[n] = !down[m]; REGISTER(n) }
  :: d_step { pc[m] == UNCORDON && !frozen[m] -> pc[m] = AFTER_UNCORDON }   /* UNCORDON (a failure keeps the slot: retry) */
  :: d_step { pc[m] == RELEASE && !frozen[m] ->            /* RELEASE: delete slot + put cooldown */
       if
       :: sPh[n] != S_NONE && sOwn[n] == ref[m] ->
          delSlot(n); cool = 1;
          if :: !booted[m] -> fz = 1; gfail = 1 :: else fi  /* reboot_not_happened: a failure (K = 1) */
       :: else
       fi;
       if :: booted[m] -> need[m] = 0 :: else fi;           /* not rebooted: re-queue at the back */
       booted[m] = 0; marker[m] = 0; dl[m] = 0;
       pc[m] = AFTER_RELEASE }

  /* ================= environment, per machine ================= */
  :: d_step { pc[m] == DOWN -> booted[m] = 1; pc[m] = START }       /* BOOT: a fresh process */
  :: d_step { RUNNING(m) && FAULT -> SPEND;                          /* CRASH at any step */
       orphan(m, n); frozen[m] = 0; gok[m] = 0; hup[m] = 0; fup[m] = 0; fok[m] = 0; pc[m] = CRASHED }
  :: d_step { pc[m] != DOWN && pc[m] != OFF && udLeft > 0 -> udLeft--;  /* POWER_OFF: down without a slot */
       ud[m] = 1; orphan(m, n); frozen[m] = 0; gok[m] = 0; hup[m] = 0; fup[m] = 0; fok[m] = 0; pc[m] = OFF }
  :: d_step { pc[m] == OFF -> ud[m] = 0;                               /* POWER_ON: a fresh process */
       if :: marker[m] -> booted[m] = 1 :: else fi; pc[m] = START }
  :: d_step { pc[m] == CRASHED || pc[m] == REFUSED -> pc[m] = START } /* RESTART (systemd) */
  :: d_step { (pc[m] == PREP || pc[m] == FENCE || pc[m] == FENCED) && !frozen[m] && FAULT ->
       SPEND; frozen[m] = 1 }                                        /* FREEZE between acquire and exec */
  :: d_step { frozen[m] -> frozen[m] = 0 }                           /* THAW */
  /* LEASE_EXPIRY: a session nobody keeps alive expires, with the slot and health record on it (one
     lease: they go at one revision); the queue ticket on its own (over-approximation) */
  :: d_step { SDEAD(m, n) || HDEAD(m, n) ->
       if :: SDEAD(m, n) -> delSlot(n) :: else fi;
       if :: HDEAD(m, n) -> healthGone(n) :: else fi }
  :: d_step { tkOwn[n] == m && (tkL[n] == K_DEAD || (tkL[n] == K_SESS && frozen[m])) -> dequeue(n) }
  /* DEADLINE: time passes beyond the deadline of m's fence (after its dead session's keys expired) */
  :: d_step { marker[m] && !dl[m] && !(hL[n] == K_DEAD && hOwn[n] == m) && FAULT -> SPEND; dl[m] = 1 }
  /* CONVERT (any daemon): a rebooting/verifying slot past its deadline -> deleted, failure recorded,
     group frozen (K = 1), one transaction comparing the slot's create and mod revision */
  :: d_step { sPh[n] >= S_REB && sOwn[n] == m && dl[m] -> delSlot(n); FREEZE_GROUP }
#ifdef WIPE
  /* HOLDOFF_END (reboot_slot_timeout after m saw the new identity): by then every running daemon
     has started or renewed its session (a pass runs every check interval, far shorter) */
  :: d_step { holdoff[m] && !LOST(0) && !LOST(1) && !LOST(2) && !LOST(3) && !LOST(4) ->
       holdoff[m] = 0; ageOldFences() }
#endif
  od
}

#define WIPEKEYS(k) sPh[k] = 0; sOwn[k] = 0; sL[k] = 0; sLim[k] = 0; tkL[k] = 0; tkOwn[k] = 0; q[k] = 0; hL[k] = 0; hOwn[k] = 0; hOk[k] = 0

/* ================= environment: operator, timers, etcd ================= */
proctype Env() {
  do
  :: d_step { !pause && FAULT -> SPEND; pause = 1 }     /* operator `pause` */
  :: d_step { pause -> pause = 0 }                      /* operator `resume` */
#ifndef NO_RESUME
  :: d_step { fz -> fz = 0; gfail = 0 }                 /* RESUME_GROUP: operator `resume --group` */
#endif
  :: d_step { cool -> cool = 0 }                        /* the cooldown lease expires */
  :: d_step { sPh[0] == S_PREP && FAULT -> SPEND; delSlot(0) }              /* UNLOCK (preparing) */
  :: d_step { sPh[1] == S_PREP && FAULT -> SPEND; delSlot(1) }
  :: d_step { N > 2 && sPh[2] == S_PREP && FAULT -> SPEND; delSlot(2) }
  :: d_step { N > 3 && sPh[3] == S_PREP && FAULT -> SPEND; delSlot(3) }
#ifdef FORCE
  :: d_step { sPh[0] >= S_REB && FAULT -> SPEND; delSlot(0) }               /* UNLOCK --force */
  :: d_step { sPh[1] >= S_REB && FAULT -> SPEND; delSlot(1) }
  :: d_step { N > 2 && sPh[2] >= S_REB && FAULT -> SPEND; delSlot(2) }
#endif
#ifdef WIPE
  :: d_step { !wiped && FAULT -> SPEND; wiped = 1; epoch = !epoch;          /* ETCD_DATA_LOSS */
       WIPEKEYS(0); WIPEKEYS(1); WIPEKEYS(2); WIPEKEYS(3);
       qn = 0; pause = 0; cool = 0; fz = 0; gfail = 0;
       mem[0] = 0; mem[1] = 0; mem[2] = 0; mem[3] = 0;
       gok[0] = 0; gok[1] = 0; gok[2] = 0; gok[3] = 0; gok[4] = 0;
       fok[0] = 0; fok[1] = 0; fok[2] = 0; fok[3] = 0; fok[4] = 0 }
#endif
  od
}

init {
  atomic {
    for (i : 0 .. M-1) { rlim[i] = L };
#ifdef WIPE
    for (i : 0 .. N-1) { mem[i] = 1 };
#endif
    for (i : 0 .. M-1) { run Machine(i) };
    run Env()
  }
}
