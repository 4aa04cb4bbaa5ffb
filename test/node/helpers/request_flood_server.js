'use strict';
// Child-process server for the slow-onEvent test (request_stream.test.js):
// one SSE response far larger than the kernel's socket buffers. It reports
// over IPC the wall-clock time at which the whole response was handed to
// the kernel, which can only happen if the client keeps reading.
const http = require('node:http');

const EVENTS = Number(process.env.FLOOD_EVENTS || 200000);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const pad = 'x'.repeat(80);
  let i = 0;
  let sent = 0;
  let nextReport = 10 << 20;
  const pump = () => {
    while (i < EVENTS) {
      let batch = '';
      for (let j = 0; j < 256 && i < EVENTS; j++) batch += `data: ${i++} ${pad}\n\n`;
      sent += batch.length;
      if (sent >= nextReport) {
        // Progress, every 10 MB handed to the kernel (after this write).
        process.send({ bytes: sent, at: Date.now() });
        nextReport += 10 << 20;
      }
      if (!res.write(batch)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end(() => process.send({ finishedAt: Date.now() }));
  };
  pump();
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
