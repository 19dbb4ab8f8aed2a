/** The admin's CSS, adopted as a constructed stylesheet so a strict CSP (no inline styles) holds. */
export const adminStyles = `
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{--accent:#1677ff;--accent-soft:#e6f4ff;--line:#e8e8e8;--muted:#8c8c8c;--bg:#f5f6f8;--danger:#cf1322;--ok:#389e0d;--warn:#d46b08;
font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Zen Hei","Noto Sans CJK SC",Roboto,Arial,sans-serif;color:#1f1f1f;background:var(--bg)}
button,input,select,textarea{font:inherit;color:inherit}
button{cursor:pointer;border:1px solid #d9d9d9;background:#fff;border-radius:6px;padding:4px 12px}
button:hover:not(:disabled){border-color:var(--accent);color:var(--accent)}
button:disabled{opacity:.5;cursor:default}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.primary:hover:not(:disabled){background:#4096ff;color:#fff}
button.danger:hover:not(:disabled){border-color:var(--danger);color:var(--danger)}
button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,a:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
input,select,textarea{border:1px solid #d9d9d9;border-radius:6px;padding:5px 8px;background:#fff;max-width:100%}
textarea{resize:vertical}
[hidden]{display:none!important}
h1,h2,h3{margin:0;font-weight:600}
h1{font-size:20px}
h2{font-size:15px}
h3{font-size:13px;color:#595959}
ul,ol{list-style:none;margin:0;padding:0}
a{color:var(--accent)}
.muted{color:var(--muted);font-size:12px}
.strong{font-weight:600}
.hint{color:var(--muted);font-size:12px;margin:0}
.error{color:var(--danger);font-size:13px;min-height:1.2em}
.status{font-size:13px;color:#595959;min-height:1.2em}
.status.bad{color:var(--danger)}
.status.ok{color:var(--ok)}
.num{font-variant-numeric:tabular-nums}
.spacer{flex:1}

.signin{min-height:100%;display:flex;align-items:center;justify-content:center;padding:24px}
.signin form{width:380px;max-width:100%;background:#fff;border-radius:12px;box-shadow:0 6px 24px rgba(0,0,0,.08);padding:28px;display:flex;flex-direction:column;gap:10px}
.signin .lang{align-self:flex-end}
.signin p{margin:0;color:var(--muted);font-size:13px}
.signin label{font-size:13px;font-weight:600}
.signin input{width:100%;padding:8px 10px}

.app{min-height:100vh;display:flex}
.menu{width:200px;flex:none;background:#001529;color:#fff;padding:12px 0}
.menu ul{position:sticky;top:0}
.brand{font-weight:700;font-size:16px;padding:6px 20px 16px}
.menu a{display:block;padding:9px 20px;color:rgba(255,255,255,.75);text-decoration:none;white-space:nowrap}
.menu a:hover{color:#fff}
.menu a[aria-current=page]{background:var(--accent);color:#fff}
.body{flex:1;min-width:0;display:flex;flex-direction:column}
.topbar{display:flex;align-items:center;gap:12px;padding:0 20px;height:52px;background:#fff;border-bottom:1px solid var(--line);flex:none}
.shop{font-weight:600}
.who{color:#595959}
.content{flex:1;padding:20px;min-width:0}

.view{display:flex;flex-direction:column;gap:16px;max-width:1280px}
.view-head{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
.view-head h1{flex:1}
.panel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px;display:flex;flex-direction:column;gap:10px;min-width:0}
.panel-head{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.panel-head h2{flex:1}
.toolbar{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.toolbar input[type=search]{flex:1;min-width:160px}
.actions{display:flex;gap:8px;justify-content:flex-end;align-items:center;flex-wrap:wrap}
.actions.start{justify-content:flex-start}
.links{display:flex;gap:12px;flex-wrap:wrap;font-size:13px}
.pager{display:flex;gap:10px;align-items:center;justify-content:flex-end}
.table-scroll{overflow-x:auto}
table.grid{width:100%;border-collapse:collapse;font-size:13px}
.grid th,.grid td{border-bottom:1px solid var(--line);padding:7px 8px;text-align:left;vertical-align:top}
.grid th{background:#fafafa;font-weight:600;white-space:nowrap}
.grid td.clip{max-width:380px;white-space:pre-wrap;overflow-wrap:anywhere}
.grid td.clip .clamp{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3;overflow:hidden}
.preview-scroll{max-height:420px;overflow:auto}
.grid thead th{position:sticky;top:0;z-index:1}
.grid tr.row-error td{background:#fff1f0}
.grid td.errors{color:var(--danger)}
.row-actions{white-space:nowrap}
.row-actions button{margin-right:4px;padding:2px 10px}
.confirm{margin-right:6px;color:var(--danger)}
.field{display:flex;flex-direction:column;gap:4px;min-width:0}
.field label,.field .label{font-size:13px;font-weight:600}
.field input,.field textarea,.field select{width:100%}
.field input[type=checkbox]{width:auto;align-self:flex-start}
.field-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}
fieldset.panel{margin:0}
fieldset legend{font-weight:600;font-size:15px;padding:0 4px}
.secret-state{font-weight:400;font-size:12px;padding:0 6px;border-radius:4px;background:#f0f0f0;color:#595959}
.secret-state[data-set=true]{background:#f6ffed;color:var(--ok)}
.days{display:flex;flex-wrap:wrap;gap:4px 12px;padding-top:4px}
.field .days input{width:auto;margin:0 4px 0 0}
.day{font-size:13px;white-space:nowrap}
.check{font-size:13px;white-space:nowrap}
.settings-form{display:flex;flex-direction:column;gap:16px}
.sticky-actions{position:sticky;bottom:0;background:#fff;border:1px solid var(--line);border-radius:10px;padding:10px 16px;display:flex;gap:12px;align-items:center;justify-content:flex-end}
.sticky-actions .status{flex:1}

dialog.editor{border:0;border-radius:12px;padding:0;width:620px;max-width:calc(100vw - 24px);box-shadow:0 12px 40px rgba(0,0,0,.2)}
dialog.editor::backdrop{background:rgba(0,0,0,.35)}
dialog.editor form{padding:20px;display:flex;flex-direction:column;gap:12px}

progress{width:100%;height:14px;accent-color:var(--accent)}
progress[data-state=done]{accent-color:var(--ok)}
progress[data-state=failed]{accent-color:var(--danger)}
meter{width:120px;height:12px;vertical-align:middle;margin-left:8px}

.two-cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;align-items:start}
.chat-pane{min-height:460px}
.chat{flex:1;min-height:320px;max-height:60vh;overflow-y:auto;display:flex;flex-direction:column;gap:8px;padding:8px;background:var(--bg);border-radius:8px}
.msg{display:flex;flex-direction:column;max-width:85%;align-self:flex-start;align-items:flex-start}
.msg[data-role=user]{align-self:flex-end;align-items:flex-end}
.msg-meta{font-size:12px;color:var(--muted);margin:0 4px 2px}
.bubble{padding:7px 12px;border-radius:10px;background:#fff;border:1px solid var(--line);white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere}
.msg[data-role=user] .bubble{background:var(--accent-soft);border-color:#91caff}
.msg[data-role=agent] .bubble{background:#f9f0ff;border-color:#d3adf7}
.sys{align-self:center;font-size:12px;color:var(--muted)}
.sys.bad{color:var(--danger)}
.card{margin-top:4px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 10px;font-size:13px}
.chips{display:flex;flex-wrap:wrap;gap:4px;margin-top:4px}
.chip{border:1px solid #91caff;border-radius:12px;padding:0 10px;font-size:12px;color:#0958d9;background:#fff}
.composer{display:flex;gap:8px}
.composer input{flex:1;min-width:0}
dl.facts{margin:0;display:grid;grid-template-columns:auto 1fr;gap:6px 14px;font-size:13px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-word}
.matches li{font-size:13px}
.matches .num{display:inline-block;min-width:36px;color:var(--accent)}

.conv-list{display:flex;flex-direction:column;gap:8px}
.conv-item{all:unset;box-sizing:border-box;display:flex;flex-direction:column;gap:4px;width:100%;border:1px solid var(--line);border-radius:8px;padding:8px 10px;cursor:pointer;background:#fff}
.conv-item:hover,.conv-item.active{border-color:var(--accent)}
.conv-item:focus-visible{outline:2px solid var(--accent)}
.item-row{display:flex;align-items:center;gap:6px;flex-wrap:wrap;font-size:12px}
.preview{font-size:13px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tag{display:inline-block;padding:0 6px;border-radius:4px;background:#f0f0f0;color:#595959;font-size:12px;line-height:20px}
.tag.warn{background:#fff7e6;color:var(--warn)}
.tag.bad{background:#fff1f0;color:var(--danger)}
.transcript{display:flex;flex-direction:column;gap:10px;padding:10px;background:var(--bg);border-radius:8px;max-height:70vh;overflow-y:auto}
.transcript .msg[data-role=user]{align-self:flex-start;align-items:flex-start}
.transcript .msg[data-role=user] .bubble{background:#fff7e6;border-color:#ffd591}
.transcript .msg[data-role=agent]{align-self:flex-end;align-items:flex-end}
.nlu{font-size:11px;color:var(--muted);margin:2px 4px 0;font-family:ui-monospace,Menlo,Consolas,monospace}
.handoffs li{font-size:13px}

.kpis{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:12px}
.kpi{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.kpi-label{font-size:12px;color:var(--muted)}
.kpi-value{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.chart-grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}
.chart-box:first-child{grid-column:1 / -1}
.chart{width:100%;height:280px}
.unanswered{display:flex;flex-direction:column;gap:8px}
.item{border:1px solid var(--line);border-radius:8px;padding:8px 10px;display:flex;flex-direction:column;gap:4px}
.item .count{min-width:24px;padding:0 6px;border-radius:11px;background:#fff1f0;color:var(--danger);font-size:12px;text-align:center;line-height:20px}
.item-actions{display:flex;gap:6px;flex-wrap:wrap;justify-content:flex-end}
.item-actions button{font-size:13px;padding:2px 10px}

.notice{position:fixed;left:50%;bottom:20px;transform:translateX(-50%);max-width:min(560px,90vw);padding:8px 14px 8px 16px;border-radius:8px;background:#fff1f0;border:1px solid #ffa39e;color:#a8071a;box-shadow:0 6px 20px rgba(0,0,0,.12);display:flex;gap:10px;align-items:center;z-index:10}
.notice[data-kind=info]{background:#e6f4ff;border-color:#91caff;color:#0958d9}
.notice button{border:0;background:transparent;color:inherit;padding:0 4px;font-size:16px;line-height:1}

@media (max-width:1100px){.kpis{grid-template-columns:repeat(3,minmax(0,1fr))}}
@media (max-width:760px){
.app{flex-direction:column}
.menu{width:auto;height:auto;position:sticky;top:0;z-index:5;display:flex;align-items:center;padding:0;overflow-x:auto}
.brand{padding:10px 12px;font-size:14px;white-space:nowrap}
.menu ul{display:flex;position:static}
.menu a{padding:12px 10px}
.topbar{padding:0 12px;gap:8px;height:auto;min-height:48px;flex-wrap:wrap}
.shop{display:none}
.content{padding:12px}
.two-cols,.chart-grid{grid-template-columns:minmax(0,1fr)}
.kpis{grid-template-columns:repeat(2,minmax(0,1fr))}
.grid thead{display:none}
.grid,.grid tbody,.grid tr,.grid td{display:block;width:100%}
.grid tr{border:1px solid var(--line);border-radius:8px;margin-bottom:8px;padding:4px 0}
.grid td{border:0;padding:3px 10px}
.grid td.clip{max-width:none}
}
`;
