/** The workspace's CSS, adopted as a constructed stylesheet so a strict CSP (no inline styles) holds. */
export const workspaceStyles = `
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{--accent:#1677ff;--accent-soft:#e6f4ff;--line:#e8e8e8;--muted:#8c8c8c;--bg:#f5f6f8;--danger:#cf1322;--ok:#389e0d;
font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Zen Hei","Noto Sans CJK SC",Roboto,Arial,sans-serif;color:#1f1f1f;background:var(--bg)}
button,input,select,textarea{font:inherit;color:inherit}
button{cursor:pointer;border:1px solid #d9d9d9;background:#fff;border-radius:6px;padding:4px 12px}
button:hover:not(:disabled){border-color:var(--accent);color:var(--accent)}
button:disabled{opacity:.5;cursor:default}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button.primary:hover:not(:disabled){background:#4096ff;color:#fff}
button.danger:hover:not(:disabled){border-color:var(--danger);color:var(--danger)}
button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
input,select,textarea{border:1px solid #d9d9d9;border-radius:6px;padding:5px 8px;background:#fff}
[hidden]{display:none!important}
h1,h2,h3{margin:0;font-weight:600}
ul,ol{list-style:none;margin:0;padding:0}

.signin{min-height:100%;display:flex;align-items:center;justify-content:center;padding:24px}
.signin form{width:360px;max-width:100%;background:#fff;border-radius:12px;box-shadow:0 6px 24px rgba(0,0,0,.08);padding:28px;display:flex;flex-direction:column;gap:12px}
.signin h1{font-size:20px}
.signin p{margin:0;color:var(--muted);font-size:13px}
.signin label{font-size:13px;font-weight:600}
.signin input{width:100%;padding:8px 10px}
.signin .error{color:var(--danger);font-size:13px;min-height:1.5em}

.app{height:100%;display:flex;flex-direction:column}
.topbar{display:flex;align-items:center;gap:14px;padding:0 16px;height:52px;background:#fff;border-bottom:1px solid var(--line);flex:none}
.topbar h1{font-size:16px;flex:1;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.agent{font-weight:600}
.conn{font-size:12px;padding:2px 10px;border-radius:10px;background:#fff7e6;color:#ad6800;border:1px solid #ffd591}
.conn[data-state=connected]{background:#f6ffed;color:var(--ok);border-color:#b7eb8f}
.columns{flex:1;min-height:0;display:grid;grid-template-columns:300px minmax(0,1fr) 340px}
.col{min-height:0;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:12px}
.col-left{border-right:1px solid var(--line)}
.col-right{border-left:1px solid var(--line)}
.col-middle{padding:0;overflow:hidden;background:#fff}

.panel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:10px 12px;display:flex;flex-direction:column;gap:8px}
.panel-head{display:flex;align-items:center;gap:8px}
.panel-head h2,.panel-head h3{font-size:14px;flex:1}
.count{min-width:22px;padding:0 6px;border-radius:11px;background:#f0f0f0;color:#595959;font-size:12px;text-align:center;line-height:20px}
.count.hot{background:#fff1f0;color:var(--danger)}
.empty{color:var(--muted);font-size:13px;margin:0}
.items{display:flex;flex-direction:column;gap:8px}
.item{border:1px solid var(--line);border-radius:8px;padding:8px 10px;display:flex;flex-direction:column;gap:4px;background:#fff}
.item-row{display:flex;align-items:center;gap:6px;flex-wrap:wrap;font-size:12px;color:var(--muted)}
.item-title{font-weight:600;color:#1f1f1f;font-size:13px}
.item-text{white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere}
.item-actions{display:flex;gap:6px;justify-content:flex-end;flex-wrap:wrap}
.item-actions button{padding:2px 10px;font-size:13px}
.tag{display:inline-block;padding:0 6px;border-radius:4px;background:#f0f0f0;color:#595959;font-size:12px;line-height:20px}
.tag.reason{background:#fff2e8;color:#d4380d}
.tag.tier{background:var(--accent-soft);color:#0958d9}
.tag.unread{background:var(--danger);color:#fff}
.mine-open{all:unset;display:flex;flex-direction:column;gap:4px;cursor:pointer;width:100%}
.mine-open:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.item.active{border-color:var(--accent);box-shadow:0 0 0 1px var(--accent) inset;background:#f7fbff}
.preview{font-size:12px;color:#595959;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.item textarea{width:100%;min-height:64px;resize:vertical}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{border:1px solid #d9d9d9;border-radius:12px;padding:0 8px;font-size:12px;color:#595959;background:#fff}

.conversation{height:100%;display:flex;flex-direction:column}
.placeholder{margin:auto;color:var(--muted)}
.conv-head{display:flex;align-items:center;gap:10px;padding:10px 16px;border-bottom:1px solid var(--line)}
.conv-head h2{font-size:15px}
.conv-meta{font-size:12px;color:var(--muted);flex:1}
.close-view{border:0;font-size:20px;line-height:1;padding:2px 8px;color:var(--muted)}
.banner{padding:6px 16px;background:#fffbe6;border-bottom:1px solid #ffe58f;color:#874d00;font-size:13px}
.transcript{flex:1;min-height:0;overflow-y:auto;padding:16px;background:var(--bg);display:flex;flex-direction:column;gap:10px}
.msg{display:flex;flex-direction:column;max-width:78%;align-self:flex-start;align-items:flex-start}
.msg[data-role=agent]{align-self:flex-end;align-items:flex-end}
.msg-meta{font-size:12px;color:var(--muted);margin:0 4px 2px}
.bubble{padding:7px 12px;border-radius:10px;background:#fff;border:1px solid var(--line);white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere}
.msg[data-role=user] .bubble{background:#fff7e6;border-color:#ffd591}
.msg[data-role=agent] .bubble{background:var(--accent-soft);border-color:#91caff}
.nlu{font-size:11px;color:var(--muted);margin:2px 4px 0;font-family:ui-monospace,Menlo,Consolas,monospace}
.card{margin-top:4px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 10px;font-size:13px}
.card-title{font-weight:600}
.card dl{margin:4px 0 0;display:grid;grid-template-columns:auto 1fr;gap:0 8px}
.card dt{color:var(--muted)}
.card dd{margin:0}
.msg .chips{margin-top:4px}
.composer{border-top:1px solid var(--line);padding:10px 16px;display:flex;gap:8px;align-items:flex-end}
.composer textarea{flex:1;resize:none;min-height:60px;max-height:180px}
.composer button{height:36px}
.actions{display:flex;gap:8px;align-items:center;flex-wrap:wrap;padding:0 16px 12px}
.actions input{flex:1;min-width:120px}
.actions .spacer{flex:1}

.side-section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:10px 12px;display:flex;flex-direction:column;gap:6px}
.side-section h3{font-size:13px;color:#595959}
.summary{margin:0;white-space:pre-wrap;word-break:break-word}
.notes li{font-size:12px;color:#595959}
dl.facts{margin:0;display:grid;grid-template-columns:auto 1fr;gap:2px 12px;font-size:13px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-all}
.stars{color:#faad14;letter-spacing:1px}
.ok{color:var(--ok)}
.orders li{border-top:1px dashed var(--line);padding:4px 0;font-size:13px}
.orders li:first-child{border-top:0}
.order-row{display:flex;gap:8px;align-items:center}
.order-row .total{margin-left:auto;font-variant-numeric:tabular-nums}
.order-items{font-size:12px;color:var(--muted)}
.suggestion{border:1px solid var(--line);border-radius:8px;padding:6px 8px;display:flex;flex-direction:column;gap:4px}
.suggestion .item-row{justify-content:space-between}
.tag.knowledge{background:#f6ffed;color:var(--ok)}
.tag.agent-source{background:#f9f0ff;color:#531dab}

.notice{position:fixed;left:50%;bottom:20px;transform:translateX(-50%);max-width:min(560px,90vw);padding:8px 14px 8px 16px;border-radius:8px;background:#fff1f0;border:1px solid #ffa39e;color:#a8071a;box-shadow:0 6px 20px rgba(0,0,0,.12);display:flex;gap:10px;align-items:center;z-index:10}
.notice[data-kind=info]{background:#e6f4ff;border-color:#91caff;color:#0958d9}
.notice button{border:0;background:transparent;color:inherit;padding:0 4px;font-size:16px;line-height:1}

@media (max-width:1100px){.columns{grid-template-columns:260px minmax(0,1fr) 280px}}
@media (max-width:860px){
.columns{display:flex;flex-direction:column;overflow-y:auto}
.col{overflow:visible}
.col-middle{min-height:70vh}
}
`;
