//! A plain HTTP/1.1 client for the daemon's endpoints, with nothing between
//! the test and the bytes on the wire.

use std::time::Duration;

/// A plain HTTP/1.1 GET: status and body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).expect("connect to the daemon's endpoints");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    conn.read_to_string(&mut response).expect("read response");
    let (head, body) = response.split_once("\r\n\r\n").expect("HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    (status, body.to_owned())
}
