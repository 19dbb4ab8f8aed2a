import express from 'express';

// The baseline for bench:turn: a bare Express 5 JSON endpoint on the same machine and runtime.
const app = express();
app.use(express.json());
app.post('/echo', (req, res) => {
  res.json({ replies: [{ text: String((req.body as { text?: unknown }).text ?? '') }] });
});
const server = app.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`echo listening at http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
