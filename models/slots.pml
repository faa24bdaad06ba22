/*
 * The reboot-slot protocol of clusterrebootd, as a Promela model for spin.
 * Explained in docs/SLOTS.md, section "The model"; run by scripts/model-check.ts.
 *
 * One group of N nodes with limit L; etcd is one linearizable store: every protocol step that
 * is one etcd transaction is one atomic step here (d_step), and every step name in CAPITALS is
 * the name the code uses in a comment next to the function that implements it.
 *
 * Time is abstract: a lease expires by an environment move that is allowed only while nobody
 * keeps it alive (its daemon crashed, froze, or its machine is down), and a slot deadline passes
 * by an environment move at any moment after the fence.
 *
 * Switches (spin -D...):
 *   N, L               nodes in the group (2..4), group limit
 *   IMPOSTOR           a second machine with the node name of node 0 (machine id N)
 *   WIPE               etcd may lose all its data once (new cluster id / revision backwards)
 *   MISLIMIT           node N-1 is configured with limit L+1 (effective limit = min of holders')
 *   FORCE              the operator may `unlock --force` a rebooting/verifying slot (expected to fail)
 *   BUDGET=k           at most k fault moves in a run (needed for liveness: faults stop)
 *   MUTANT_NO_FENCE, MUTANT_EARLY_RELEASE, MUTANT_NO_MACHINE_ID, MUTANT_NO_ETCD_ID,
 *   MUTANT_NO_DEADLINE_CHECK   each must produce a counter-example
 *   MUTANT_NO_QUEUE    every waiter ignores the queue: must stay safe
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

/* slot phases */
#define S_NONE 0
#define S_PREP 1
#define S_REB  2
#define S_VER  3
/* leases of a key: on its owner's session (kept alive while the daemon lives), on a dead session
   (will expire), on a slot lease (TTL reboot_slot_timeout, never kept alive) */
#define K_NONE 0
#define K_SESS 1
#define K_DEAD 2
#define K_SLOT 3

#ifdef MUTANT_EARLY_RELEASE
#define AFTER_VERIFY   RELEASE
#define AFTER_UNCORDON IDLE
#define AFTER_RELEASE  HEALTH
#else
#define AFTER_VERIFY   HEALTH
#define AFTER_UNCORDON RELEASE
#define AFTER_RELEASE  IDLE
#endif

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
bool pause;        /* P/pause */
bool cool;         /* P/cooldown/<group> (on its own lease: expires by itself) */
bool epoch;        /* etcd's identity: flips when etcd loses its data */
bool wiped;        /* at most one data loss */
/* guards: gok[m] = "both guard mod revisions are still what m's last snapshot read" */
bool gok[MAXM];
byte rlim[MAXM];   /* the effective limit m's snapshot admitted it under (recorded in the slot) */

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
bool aband[MAXM];  /* it was still down when its deadline passed: abandoned (see docs) */

/* scratch for d_steps; not hidden for breadth-first runs (spin refuses BFS with hidden vars) */
#ifdef NOHIDDEN
byte i, j, lim;
#else
hidden byte i, j, lim;
#endif

#define RUNNING(m) (pc[m] != DOWN && pc[m] != CRASHED && pc[m] != REFUSED)
/* unused array entries stay 0, so the sums can run over MAXM / MAXN */
#define COUNTED(m) (down[m] && !aband[m])
#define DOWN_IN_BUDGET (COUNTED(0) + COUNTED(1) + COUNTED(2) + COUNTED(3) + COUNTED(4))
#define HELD ((sPh[0] != S_NONE) + (sPh[1] != S_NONE) + (sPh[2] != S_NONE) + (sPh[3] != S_NONE))
#define ALLDONE (!need[0] && !need[1] && (N < 3 || !need[2]) && (N < 4 || !need[3]))

/* The invariant. Only EXEC raises DOWN_IN_BUDGET (down 0->1 with aband 0), so it is asserted
   right there; every other move leaves it equal or lower. */
#define CHECK_BUDGET assert(DOWN_IN_BUDGET <= L)
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

#ifdef IMPOSTOR
#define PUBLISH_HEALTH(m, n) hL[n] = K_SESS; hOwn[n] = m   /* health record on the session lease */
#else
#define PUBLISH_HEALTH(m, n) skip   /* only the machine-identity check reads it */
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

/* effective limit: the smallest of ours and those recorded by current holders */
inline effLimit(m) {
  lim = MYLIMIT(m);
  for (j : 0 .. N-1) { if :: sPh[j] != S_NONE && sLim[j] < lim -> lim = sLim[j] :: else fi }
}

/* a machine stops keeping its session lease alive for good (crash, reboot, refusal) */
inline orphan(m, n) {
  if :: sL[n] == K_SESS && sOwn[n] == m -> sL[n] = K_DEAD :: else fi;
  if :: tkL[n] == K_SESS && tkOwn[n] == m -> tkL[n] = K_DEAD :: else fi;
  if :: hL[n] == K_SESS && hOwn[n] == m -> hL[n] = K_DEAD :: else fi
}

/* after reboot_slot_timeout since a data loss, every deadline of a fence made before it passed */
#define AGE(j) aband[j] = aband[j] || (marker[j] && fep[j] != epoch && !dl[j] && down[j]); \
               dl[j] = dl[j] || (marker[j] && fep[j] != epoch)
#define ageOldFences() AGE(0); AGE(1); AGE(2); AGE(3); AGE(4)

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
          :: sPh[n] == S_NONE && marker[m] ->                    /* RECREATE from the marker */
             sPh[n] = S_VER; sOwn[n] = m; sL[n] = K_SLOT; sLim[n] = L; ref[m] = m; pc[m] = HEALTH
          :: else -> pc[m] = IDLE
          fi
       fi }
  :: d_step { pc[m] == IDLE && !frozen[m] && need[m] && !pause && !cool && !holdoff[m] ->
       /* DETECT, GATES, QUEUE: a ticket on the session lease (a put keeps its position) */
       if :: tkL[n] == K_NONE -> q[qn] = n+1; qn++ :: else fi;
       tkL[n] = K_SESS; tkOwn[n] = m; pc[m] = QUEUED }
  :: d_step { pc[m] == QUEUED && !frozen[m] && tkL[n] == K_NONE -> pc[m] = IDLE }  /* ticket lost: re-queue */
  :: d_step { pc[m] == QUEUED && !frozen[m] && sPh[n] != S_NONE -> pc[m] = START } /* a slot of our name: own-slot path */
  :: d_step { pc[m] == QUEUED && !frozen[m] && tkL[n] != K_NONE && sPh[n] == S_NONE && SAME_ETCD(m) && !pause && !cool && !holdoff[m] ->
       /* READ: one snapshot; TURN: among the first (limit - held) tickets; ADMIT on it */
       seen[m] = epoch;
       effLimit(m);
       i = 0;
       do :: i < qn && q[i] != n+1 -> i++ :: else -> break od;
#ifdef MUTANT_NO_QUEUE
       i = 0;
#endif
       if
       :: HELD < lim && i + HELD < lim -> gok[m] = 1; rlim[m] = lim; pc[m] = READ
       :: else   /* not yet: stay queued (woken by the watch) */
       fi }
  :: d_step { pc[m] == READ && !frozen[m] ->
       /* ACQUIRE: guards unchanged, pause absent, cooldown absent, own key absent */
       if
       :: gok[m] && !pause && !cool && sPh[n] == S_NONE ->
          sPh[n] = S_PREP; sOwn[n] = m; sL[n] = K_SESS; sLim[n] = rlim[m]; ref[m] = m;
          for (j : 0 .. M-1) { gok[j] = 0 };                    /* both guards bumped */
          dequeue(n);
          pc[m] = PREP
       :: else -> pc[m] = QUEUED
       fi }
  :: d_step { pc[m] == PREP && !frozen[m] && !pause -> pc[m] = FENCE }            /* RECHECK passed */
  :: d_step { pc[m] == PREP && !frozen[m] && (pause || FAULT) ->                  /* RECHECK refused */
       if :: !pause -> SPEND :: else fi;
       if :: sPh[n] == S_PREP && sOwn[n] == ref[m] -> delSlot(n) :: else fi;   /* release, no cooldown */
       pc[m] = IDLE }
  :: d_step { pc[m] == FENCE && !frozen[m] ->
#ifndef MUTANT_NO_FENCE
       /* FENCE: create revision ours, still preparing, pause absent, cooldown absent */
       if
       :: sPh[n] == S_PREP && sOwn[n] == ref[m] && !pause && !cool ->
#else
       if
       :: true ->   /* mutant: the slot is just put as rebooting, nothing compared */
#endif
          sPh[n] = S_REB; sOwn[n] = m; sL[n] = K_SLOT; sLim[n] = (sLim[n] == 0 -> L : sLim[n]);
          marker[m] = 1; fep[m] = epoch; dl[m] = 0;              /* MARK before EXEC */
          pc[m] = FENCED
       :: else ->
          if :: sPh[n] == S_PREP && sOwn[n] == ref[m] -> delSlot(n) :: else fi;
          pc[m] = IDLE
       fi }
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
  :: d_step { pc[m] == FENCED && !frozen[m] && !dl[m] && FAULT ->  /* EXEC, but the reboot did not happen */
       SPEND; down[m] = 1; aband[m] = 0; pc[m] = START; CHECK_BUDGET }
  :: d_step { pc[m] == VERIFY && !frozen[m] ->             /* VERIFY: rebooting -> verifying, same lease */
       if
       :: sPh[n] == S_REB && sOwn[n] == ref[m] -> sPh[n] = S_VER; pc[m] = AFTER_VERIFY
       :: else -> pc[m] = START                             /* slot gone: START re-creates it */
       fi }
  :: d_step { pc[m] == HEALTH && !frozen[m] ->             /* HEALTH: post-boot health passes */
       down[m] = 0; aband[m] = 0; pc[m] = UNCORDON }
  :: d_step { pc[m] == UNCORDON && !frozen[m] -> pc[m] = AFTER_UNCORDON }   /* UNCORDON (a failure keeps the slot: retry) */
  :: d_step { pc[m] == RELEASE && !frozen[m] ->            /* RELEASE: delete slot + put cooldown */
       if :: sPh[n] != S_NONE && sOwn[n] == ref[m] -> delSlot(n); cool = 1 :: else fi;
       if :: booted[m] -> need[m] = 0 :: else fi;           /* not rebooted: re-queue at the back */
       booted[m] = 0; marker[m] = 0; dl[m] = 0;
       pc[m] = AFTER_RELEASE }

  /* ================= environment, per machine ================= */
  :: d_step { pc[m] == DOWN -> booted[m] = 1; pc[m] = START }       /* BOOT: a fresh process */
  :: d_step { RUNNING(m) && FAULT -> SPEND;                          /* CRASH at any step */
       orphan(m, n); frozen[m] = 0; gok[m] = 0; pc[m] = CRASHED }
  :: d_step { pc[m] == CRASHED || pc[m] == REFUSED -> pc[m] = START } /* RESTART (systemd) */
  :: d_step { (pc[m] == PREP || pc[m] == FENCE || pc[m] == FENCED) && !frozen[m] && FAULT ->
       SPEND; frozen[m] = 1 }                                        /* FREEZE between acquire and exec */
  :: d_step { frozen[m] -> frozen[m] = 0 }                           /* THAW */
  /* LEASE_EXPIRY: keys on a session nobody keeps alive (each key on its own: over-approximation) */
  :: d_step { sOwn[n] == m && sPh[n] != S_NONE && (sL[n] == K_DEAD || (sL[n] == K_SESS && frozen[m])) -> delSlot(n) }
  :: d_step { tkOwn[n] == m && (tkL[n] == K_DEAD || (tkL[n] == K_SESS && frozen[m])) -> dequeue(n) }
  :: d_step { hOwn[n] == m && (hL[n] == K_DEAD || (hL[n] == K_SESS && frozen[m])) -> hL[n] = K_NONE; hOwn[n] = 0 }
  /* DEADLINE: time passes beyond the deadline of m's fence */
  :: d_step { marker[m] && !dl[m] && FAULT -> SPEND; dl[m] = 1; if :: down[m] -> aband[m] = 1 :: else fi }
  /* SLOT_EXPIRY: a slot lease expires, never before the deadline it was written with */
  :: d_step { sPh[n] != S_NONE && sL[n] == K_SLOT && sOwn[n] == m && dl[m] -> delSlot(n) }
#ifdef WIPE
  :: d_step { holdoff[m] -> holdoff[m] = 0; ageOldFences() }       /* HOLDOFF_END (reboot_slot_timeout) */
#endif
  od
}

#define WIPEKEYS(k) sPh[k] = 0; sOwn[k] = 0; sL[k] = 0; sLim[k] = 0; tkL[k] = 0; tkOwn[k] = 0; q[k] = 0; hL[k] = 0; hOwn[k] = 0

/* ================= environment: operator, timers, etcd ================= */
proctype Env() {
  do
  :: d_step { !pause && FAULT -> SPEND; pause = 1 }     /* operator `pause` */
  :: d_step { pause -> pause = 0 }                      /* operator `resume` */
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
       qn = 0; pause = 0; cool = 0;
       gok[0] = 0; gok[1] = 0; gok[2] = 0; gok[3] = 0; gok[4] = 0 }
#endif
  od
}

init {
  atomic {
    for (i : 0 .. M-1) { rlim[i] = L };
    for (i : 0 .. M-1) { run Machine(i) };
    run Env()
  }
}
