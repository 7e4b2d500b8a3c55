// The page's only styling, inline (the CSP allows nothing else). Narrow screens: tables scroll in their own box,
// long ids in prose wrap and the trends stack, so the page itself never scrolls sideways.
export const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:1180px;margin:0 auto;padding:20px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}h3{font-size:14px;margin:10px 0 4px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 16px;margin:14px 0;overflow-wrap:break-word}
.scroll{overflow-x:auto}td code{overflow-wrap:normal}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-weight:600;color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f0f2f5;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
ul{padding-left:20px}li{margin:4px 0}
.dim{color:#8a93a3}.meta{color:#5b6475;margin:2px 0}.reason{color:#7a1f1f}
.iso{color:#8a93a3;font-size:12px;white-space:nowrap}td .iso{display:block}
.badge{display:inline-block;padding:2px 9px;border-radius:10px;font-weight:600;font-size:12px;color:#fff;background:#7d8595;white-space:nowrap}
.big{font-size:18px;padding:4px 14px;border-radius:14px}
.b-healthy,.b-up{background:#1f8a3b}.b-degraded{background:#c77700}.b-down{background:#c62828}
.b-inactive,.b-unknown{background:#7d8595}
.b-critical{background:#c62828}.b-warning{background:#c77700}.b-info{background:#3d6fb4}
.head{display:flex;gap:10px 18px;align-items:center;flex-wrap:wrap}
.who{display:flex;gap:4px 18px;flex-wrap:wrap;color:#5b6475;margin:0 0 8px}.who strong{color:#1d2330}
.pair{display:inline-flex;gap:6px;align-items:center;color:#5b6475}
.colos span{margin-right:12px}
.next{margin:4px 0;padding:6px 10px;border-left:3px solid #3d6fb4;background:#f3f6fb}
.cause{margin:6px 0 6px 4px}
.countdown{font-weight:600;color:#8a5200}
.trends{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:14px 24px}
figure{margin:0;min-width:0}figcaption{margin:0 0 4px}
.chart{display:block;width:100%;height:64px;background:#f0f2f5;border-radius:4px}
.band{height:16px;margin:2px 0 6px}
.axis{display:flex;justify-content:space-between;gap:8px;color:#8a93a3;font-size:12px;margin-top:2px}
.legend span{margin-right:10px;white-space:nowrap}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
@media (max-width:600px){main{padding:8px}section{padding:10px;margin:10px 0}.big{font-size:16px}th,td{padding:4px 5px}}
`;
