//! The iden3 binary container shared by snarkjs's .zkey and .wtns files: a 4-byte magic, a
//! version, then sections `(id: u32, size: u64, bytes)`.
use std::collections::HashMap;

pub struct BinFile<'a> {
    pub magic: [u8; 4],
    sections: HashMap<u32, &'a [u8]>,
}

impl<'a> BinFile<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, String> {
        let mut r = Reader::new(bytes);
        let magic: [u8; 4] = r.take(4)?.try_into().unwrap();
        let _version = r.u32()?;
        let n = r.u32()?;
        let mut sections = HashMap::new();
        for _ in 0..n {
            let id = r.u32()?;
            let size = usize::try_from(r.u64()?).map_err(|_| "section too large".to_string())?;
            // the first section with an id wins, as in snarkjs
            let body = r.take(size)?;
            sections.entry(id).or_insert(body);
        }
        Ok(BinFile { magic, sections })
    }

    pub fn section(&self, id: u32) -> Result<&'a [u8], String> {
        self.sections.get(&id).copied().ok_or_else(|| format!("section {id} is missing"))
    }
}

/// A little-endian cursor that reports truncation instead of panicking.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| format!("truncated at byte {} (wanted {n} more)", self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
}

/// Four little-endian u64 limbs from 32 bytes.
pub fn limbs(b: &[u8]) -> [u64; 4] {
    let mut l = [0u64; 4];
    for (i, c) in b.chunks_exact(8).enumerate() {
        l[i] = u64::from_le_bytes(c.try_into().unwrap());
    }
    l
}

/// Writes a .zkey: the magic, version 1, then the sections in the order given.
pub fn write_sections(path: &str, sections: &[(u32, &[u8])]) -> std::io::Result<()> {
    let mut w = SectionWriter::create(path, sections.len() as u32)?;
    for (id, bytes) in sections {
        w.section(*id, bytes)?;
    }
    w.finish()
}

/// A zkey written one section at a time, as each is ready: a large key's sections are not all
/// held in memory before the file is written.
pub struct SectionWriter {
    f: std::io::BufWriter<std::fs::File>,
}

impl SectionWriter {
    pub fn create(path: &str, n_sections: u32) -> std::io::Result<SectionWriter> {
        use std::io::Write;
        let mut f = std::io::BufWriter::with_capacity(1 << 22, std::fs::File::create(path)?);
        f.write_all(b"zkey")?;
        f.write_all(&1u32.to_le_bytes())?;
        f.write_all(&n_sections.to_le_bytes())?;
        Ok(SectionWriter { f })
    }

    pub fn section(&mut self, id: u32, bytes: &[u8]) -> std::io::Result<()> {
        self.section_parts(id, &[bytes])
    }

    /// One section made of `parts`, in order (written without joining them).
    pub fn section_parts(&mut self, id: u32, parts: &[&[u8]]) -> std::io::Result<()> {
        use std::io::Write;
        self.f.write_all(&id.to_le_bytes())?;
        self.f.write_all(&(parts.iter().map(|p| p.len()).sum::<usize>() as u64).to_le_bytes())?;
        for p in parts {
            self.f.write_all(p)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        use std::io::Write;
        self.f.flush()
    }
}
