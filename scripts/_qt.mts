import { fakeQuantize } from '/work/wt/r14a/extension/core/quant/quantize.ts';
const n = 4096*1024; const x = new Float32Array(n); let s=1; for (let i=0;i<n;i++){ s=(s*1103515245+12345)>>>0; x[i]=(s/4294967296-0.5)*0.04; }
const cpu=()=>{const u=process.cpuUsage(); return (u.user+u.system)/1e3;};
for (const f of (process.argv[2]??'int8,int8_asym,fp8_e4m3,mxfp4,nvfp4').split(',')) {
  fakeQuantize(x,[4096,1024],f,{channelAxis:0,blockAxis:1});
  let best=1e9, bc=1e9; for (let r=0;r<7;r++){const t=performance.now(), c=cpu(); fakeQuantize(x,[4096,1024],f,{channelAxis:0,blockAxis:1}); best=Math.min(best,performance.now()-t); bc=Math.min(bc,cpu()-c);}
  console.log(f, best.toFixed(2),'ms', (n/best/1e3).toFixed(0),'Melem/s wall', (n/bc/1e3).toFixed(0),'Melem/cpu-s');
}
// copies
const buf = new Float32Array(n); let b=1e9; for (let r=0;r<7;r++){const t=performance.now(); buf.set(x); b=Math.min(b,performance.now()-t);} console.log('set', b.toFixed(2));
b=1e9; for (let r=0;r<7;r++){const t=performance.now(); x.slice(); b=Math.min(b,performance.now()-t);} console.log('slice', b.toFixed(2));
