import json,sys,collections,subprocess
J='/usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr'
f=sys.argv[1]
ev='jdk.GarbageCollection,jdk.EvacuationInformation,jdk.G1HeapSummary,jdk.ThreadPark,jdk.JavaMonitorEnter,jdk.JavaMonitorWait,jdk.SafepointBegin,jdk.ExecuteVMOperation,jdk.Deoptimization,jdk.GCPhasePause'
d=json.loads(subprocess.run([J,'print','--json','--events',ev,f],capture_output=True,text=True).stdout)['recording']['events']
def ms(s): 
    s=s.replace('PT','').replace('S','')
    if 'M' in s: m,sec=s.split('M'); return (float(m)*60+float(sec or 0))*1000
    return float(s)*1000 if s else 0
gcs=[(e['values']['name'],ms(e['values']['sumOfPauses']),ms(e['values']['longestPause'])) for e in d if e['type']=='jdk.GarbageCollection']
print('GCs:',len(gcs),'pauses sum %.1f ms, longest %.1f ms'%(sum(g[1] for g in gcs), max([g[2] for g in gcs] or [0])))
print('  each:',[('%s %.1f'%(g[0][-3:],g[2])) for g in gcs])
cp=[e['values']['bytesCopied']/1048576 for e in d if e['type']=='jdk.EvacuationInformation']
print('  MB copied per young GC:',[round(x,1) for x in cp])
loops=collections.Counter()
for e in d:
    if e['type'] in('jdk.ThreadPark','jdk.JavaMonitorEnter','jdk.JavaMonitorWait'):
        t=(e['values'].get('eventThread') or {}).get('javaName','')
        loops[(e['type'],'eventloop' in t, t if 'eventloop' in t else '')]+=1
print('  park/monitor events (type, on an event loop):',dict(loops))
ops=collections.Counter(e['values']['operation'] for e in d if e['type']=='jdk.ExecuteVMOperation')
print('  VM operations:',dict(ops))
de=collections.Counter(e['values']['reason'] for e in d if e['type']=='jdk.Deoptimization')
print('  deoptimizations:',sum(de.values()),dict(de))
