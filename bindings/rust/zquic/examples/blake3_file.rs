//! blake3_file: BLAKE3 of files with ZCrypto, printed like b3sum ("HEX  FILE"); "-" or no
//! argument reads standard input. Streams the file through `crypto::Hasher` (an io::Write).
use std::fs::File;
use std::io;
use std::process::exit;
use zquic::crypto::{self, HashAlg, Hasher};

fn hash_reader(r: &mut dyn io::Read) -> io::Result<Vec<u8>> {
    let mut h = Hasher::new(HashAlg::Blake3)?;
    io::copy(r, &mut h)?;
    Ok(h.finalize()?)
}

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        files.push("-".into());
    }
    let mut status = 0;
    for f in &files {
        let result = if f == "-" {
            hash_reader(&mut io::stdin())
        } else {
            File::open(f).and_then(|mut file| hash_reader(&mut file))
        };
        match result {
            Ok(d) => println!("{}  {}", crypto::hex(&d), f),
            Err(e) => {
                eprintln!("blake3_file: {}: {}", f, e);
                status = 1;
            }
        }
    }
    exit(status)
}
